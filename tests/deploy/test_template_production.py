"""deploy.template with tracing, JSON logs, alarms, versions + alias, rollouts, snapstart and concurrency
(pure, plus cfn-lint)."""
from __future__ import annotations

from dataclasses import replace

import pytest
from deploy_support import cfn_lint
from test_template_events import CONFIG, NAMES, make_app

from tight.dev.routes import FunctionsConfigError, function_settings
from tight_tasks.deploy.template import TemplateError, build, render

PRODUCTION = {"tracing": True, "log_format": "json", "log_level": "debug", "system_log_level": "info",
              "alarms": {"email": "ops@example.com"}, "rollout": "canary10percent5minutes"}
FUNCTIONS = {**CONFIG["functions"], "api": {"snapstart": True, "reserved_concurrency": 10},
             "orders": {**CONFIG["functions"]["orders"], "provisioned_concurrency": 2, "reserved_concurrency": 5}}


def production(deploy=PRODUCTION, functions=FUNCTIONS, code="ab" * 32, runtime="python3.12"):
    app = make_app({"functions": functions})
    return replace(app, deploy=deploy, code_sha256=code, runtime=runtime)


@pytest.fixture(scope="module")
def template() -> dict:
    return build(production())


def of_type(template: dict, kind: str) -> dict:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_every_setting_passes_cfn_lint(template, tmp_path):
    for number, built in enumerate((template, build(production(deploy={"tracing": True})))):
        path = tmp_path / f"production{number}.yml"
        path.write_text(render(built))
        linted = cfn_lint(path)
        assert (linted.returncode, linted.stdout) == (0, ""), linted.stdout + linted.stderr


def test_tracing_and_json_logs_on_every_function(template):
    functions = of_type(template, "AWS::Lambda::Function")
    assert len(functions) == len(NAMES)
    for function in functions.values():
        assert function["Properties"]["TracingConfig"] == {"Mode": "Active"}
        assert function["Properties"]["LoggingConfig"] == {"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG",
                                                           "SystemLogLevel": "INFO"}
    for role in of_type(template, "AWS::IAM::Role").values():
        if role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"] == \
                "lambda.amazonaws.com":
            text = str(role["Properties"]["Policies"])
            assert "xray:PutTraceSegments" in text and "xray:PutTelemetryRecords" in text
    (stage,) = of_type(template, "AWS::ApiGateway::Stage").values()
    assert stage["Properties"]["TracingEnabled"] is True
    plain = build(production(deploy={}))
    assert not [f for f in of_type(plain, "AWS::Lambda::Function").values()
                if {"TracingConfig", "LoggingConfig"} & set(f["Properties"])]


def test_alarms_notify_the_email_topic(template):
    resources = template["Resources"]
    assert resources["AlarmEmail"]["Properties"] == {"TopicArn": {"Ref": "AlarmTopic"}, "Protocol": "email",
                                                    "Endpoint": "ops@example.com"}
    alarms = of_type(template, "AWS::CloudWatch::Alarm")
    for name in ("Api", "Audit", "Cleanup", "Feed", "Nightly", "Orders", "Thumbs"):
        assert resources[f"Errors{name}"]["Properties"]["MetricName"] == "Errors"
        assert resources[f"Throttles{name}"]["Properties"]["Dimensions"] == [
            {"Name": "FunctionName", "Value": f"shop-dev-{name.lower()}"}]
    assert {k for k in alarms if k.startswith("IteratorAge")} == {"IteratorAgeAudit", "IteratorAgeFeed"}
    backlog = {k: v["Properties"] for k, v in alarms.items() if k.startswith("Backlog")}
    assert set(backlog) == {"BacklogAudit", "BacklogCleanup", "BacklogFeed", "BacklogNightly", "BacklogOrders",
                            "BacklogThumbs"}
    assert backlog["BacklogOrders"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert backlog["BacklogOrders"]["Dimensions"] == [{"Name": "QueueName",
                                                       "Value": {"Fn::GetAtt": ["DeadLettersOrders", "QueueName"]}}]
    assert (backlog["BacklogOrders"]["ComparisonOperator"], backlog["BacklogOrders"]["Threshold"]) == \
        ("GreaterThanThreshold", 0)
    assert alarms["ServerErrorsAlarm"]["Properties"]["MetricName"] == "5XXError"
    assert all(a["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms.values())


def test_a_version_per_code_and_every_invoker_calls_the_alias(template):
    aliases = of_type(template, "AWS::Lambda::Alias")
    assert set(aliases) == {f"Alias{n.capitalize()}" for n in NAMES}
    versions = of_type(template, "AWS::Lambda::Version")
    other = build(production(code="cd" * 32))
    assert set(versions).isdisjoint(of_type(other, "AWS::Lambda::Version")), "new code, new versions"
    assert set(of_type(build(production()), "AWS::Lambda::Version")) == set(versions), "same code, same ids"
    alias = aliases["AliasOrders"]["Properties"]
    assert alias["Name"] == "live"
    assert alias["FunctionVersion"]["Fn::GetAtt"][0] in versions
    assert alias["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 2}
    text = render(template)
    assert "${FunctionOrders.Arn}:live" in text and "${FunctionApi.Arn}:live/invocations" in text
    for kind in ("AWS::Lambda::Permission", "AWS::Lambda::EventSourceMapping", "AWS::Events::Rule"):
        for resource in of_type(template, kind).values():
            assert ":live" in str(resource["Properties"]) and any(d.startswith("Alias") for d in resource["DependsOn"])
    functions = template["Resources"]
    assert functions["FunctionApi"]["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert functions["FunctionApi"]["Properties"]["ReservedConcurrentExecutions"] == 10
    assert "SnapStart" not in functions["FunctionOrders"]["Properties"]


def test_a_rollout_is_a_codedeploy_group_per_function_rolling_back_on_its_alarms(template):
    (app_id,) = of_type(template, "AWS::CodeDeploy::Application")
    groups = of_type(template, "AWS::CodeDeploy::DeploymentGroup")
    group = groups["DeployGroupAudit"]["Properties"]
    assert group["DeploymentConfigName"] == "CodeDeployDefault.LambdaCanary10Percent5Minutes"
    assert group["AlarmConfiguration"]["Alarms"] == [{"Name": {"Ref": "ErrorsAudit"}},
                                                     {"Name": {"Ref": "ThrottlesAudit"}},
                                                     {"Name": {"Ref": "IteratorAgeAudit"}}]
    assert "DEPLOYMENT_STOP_ON_ALARM" in group["AutoRollbackConfiguration"]["Events"]
    policy = template["Resources"]["AliasAudit"]["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert policy == {"ApplicationName": {"Ref": app_id}, "DeploymentGroupName": {"Ref": "DeployGroupAudit"}}
    at_once = build(production(deploy={}))
    assert not of_type(at_once, "AWS::CodeDeploy::DeploymentGroup")
    assert "UpdatePolicy" not in at_once["Resources"]["AliasAudit"]


@pytest.mark.parametrize("deploy, message", [
    ({"rollout": "canary50percent"}, "deploy.rollout 'canary50percent' is not one of all_at_once, canary10percent5"),
    ({"tracing": "yes"}, "deploy.tracing must be true or false, got 'yes'"),
    ({"log_format": "xml"}, "deploy.log_format must be text or json, got 'xml'"),
    ({"log_level": "debug"}, "deploy.log_level needs deploy.log_format: json"),
    ({"log_format": "json", "system_log_level": "error"}, "deploy.system_log_level must be one of DEBUG, INFO, WARN"),
    ({"alarms": {"email": "not an address"}}, "deploy.alarms needs an email address to notify"),
    ({"alarms": True}, "deploy.alarms needs an email address to notify"),
])
def test_bad_settings_are_one_line(deploy, message):
    with pytest.raises(TemplateError) as caught:
        build(production(deploy=deploy))
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_snapstart_needs_python312_and_refuses_provisioned_concurrency():
    with pytest.raises(TemplateError, match=r"^function 'api': snapstart needs python3.12 or later \(tight.yml "
                                            r"runtime is python3.11\)$"):
        build(production(runtime="python3.11"))
    with pytest.raises(FunctionsConfigError, match="^function 'x': snapstart and provisioned_concurrency cannot be "
                                                   "used together"):
        function_settings({"functions": {"x": {"snapstart": True, "provisioned_concurrency": 1}}}, ["x"])
    with pytest.raises(FunctionsConfigError, match="provisioned_concurrency 3 is above reserved_concurrency 2"):
        function_settings({"functions": {"x": {"provisioned_concurrency": 3, "reserved_concurrency": 2}}}, ["x"])
    with pytest.raises(FunctionsConfigError, match="reserved_concurrency must be a whole number from 0 to 10000"):
        function_settings({"functions": {"x": {"reserved_concurrency": -1}}}, ["x"])
