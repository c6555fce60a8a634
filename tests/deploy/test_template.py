"""The deploy template as a pure function, and the stage's inputs read from an app (no AWS)."""
from __future__ import annotations

import json
import os
import sys

import pytest
import yaml
from invoke.exceptions import Exit

from tight.dev.routes import function_settings, routes
from tight_tasks.deploy import inputs, restapi
from tight_tasks.deploy.template import (
    POLICY_LIMIT,
    App,
    TemplateError,
    build,
    function_name,
    logical_id,
    render,
)


def table(name: str, gsi: bool = False) -> dict:
    spec = {"TableName": name, "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}
    if gsi:
        spec["GlobalSecondaryIndexes"] = [{"IndexName": "by-id", "KeySchema": spec["KeySchema"],
                                           "Projection": {"ProjectionType": "ALL"}}]
    return spec


def make_app(functions=("hello",), config=None, tables=(), stage="dev", environment=None, name="shop",
             imports=None) -> App:
    """``imports``: function -> the models its code imports (model ``x`` is table ``<name>-<stage>-x``)."""
    config = config or {}
    prefix = f"{name}-{stage}-"
    return App(name=name, stage=stage, runtime="python3.12", architecture="arm64",
               environment=environment or {"NAME": name, "STAGE": stage},
               tables=[table(t) for t in tables], functions=function_settings(config, functions),
               routes=routes(config, functions),
               model_tables={t[len(prefix):]: t for t in tables if t.startswith(prefix)},
               function_models={k: frozenset(v) for k, v in (imports or {}).items()})


def of_type(template: dict, kind: str) -> dict:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def policy(template: dict, function: str) -> list[dict]:
    """The statements of ``function``'s own role."""
    role_id = template["Resources"][logical_id("Function", function)]["Properties"]["Role"]["Fn::GetAtt"][0]
    (document,) = template["Resources"][role_id]["Properties"]["Policies"]
    return document["PolicyDocument"]["Statement"]


def test_function_resources_follow_settings():
    config = {"functions": {"hello": {"memory": 1024, "timeout": 5, "log_retention": 90}}}
    template = build(make_app(("hello", "users"), config, environment={"NAME": "shop", "STAGE": "dev", "A": "1"}))
    hello = template["Resources"]["FunctionHello"]["Properties"]
    assert hello["FunctionName"] == "shop-dev-hello"
    assert hello["Handler"] == "app_index.hello"
    assert (hello["Runtime"], hello["Architectures"]) == ("python3.12", ["arm64"])
    assert (hello["MemorySize"], hello["Timeout"]) == (1024, 5)
    assert hello["Environment"] == {"Variables": {"A": "1", "NAME": "shop", "STAGE": "dev"}}
    assert hello["Code"] == {"S3Bucket": {"Ref": "CodeBucket"}, "S3Key": {"Ref": "CodeKey"}}
    users = template["Resources"]["FunctionUsers"]["Properties"]
    assert (users["MemorySize"], users["Timeout"]) == (256, 30)
    logs = of_type(template, "AWS::Logs::LogGroup")
    assert {v["Properties"].get("LogGroupName"): v["Properties"]["RetentionInDays"] for v in logs.values()} == \
        {"/aws/lambda/shop-dev-hello": 90, "/aws/lambda/shop-dev-users": 14, None: 90}  # None: the API access logs
    assert template["Resources"]["FunctionHello"]["DependsOn"] == ["LogsHello"]


def test_tables_are_retained_and_each_role_holds_only_its_own_tables_and_logs():
    tables = ("shop-dev-accounts", "shop-dev-orders", "shop-dev-audit")
    config = {"functions": {"admin": {"tables": ["audit"]}}}
    template = build(make_app(("admin", "health", "orders"), config, tables=tables,
                              imports={"orders": {"orders", "accounts"}, "admin": {"*"}}))
    assert sorted(of_type(template, "AWS::DynamoDB::Table")) == ["TableAccounts", "TableAudit", "TableOrders"]
    for resource in of_type(template, "AWS::DynamoDB::Table").values():  # the same logical id in every stage
        assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"
    assert sorted(of_type(template, "AWS::IAM::Role")) == ["RoleAdmin", "RoleHealth", "RoleOrders"]

    def arns(function: str) -> dict:
        return {tuple(s["Action"]): [r["Fn::Sub"].split("${AWS::AccountId}:")[1] for r in s["Resource"]]
                for s in policy(template, function)}

    logs = ("logs:CreateLogStream", "logs:PutLogEvents")
    assert arns("health") == {logs: ["log-group:/aws/lambda/shop-dev-health:*"]}
    orders = arns("orders")
    assert orders[logs] == ["log-group:/aws/lambda/shop-dev-orders:*"]
    (dynamo,) = [k for k in orders if k[0].startswith("dynamodb:")]
    assert orders[dynamo] == ["table/shop-dev-accounts", "table/shop-dev-accounts/index/*",
                              "table/shop-dev-orders", "table/shop-dev-orders/index/*"]
    assert "dynamodb:*" not in dynamo and "dynamodb:DeleteTable" not in dynamo
    assert next(a for k, a in arns("admin").items() if k == dynamo) == [  # every model: it imports app.models
        "table/shop-dev-accounts", "table/shop-dev-accounts/index/*", "table/shop-dev-orders",
        "table/shop-dev-orders/index/*", "table/shop-dev-audit", "table/shop-dev-audit/index/*"]
    assert template["Resources"]["FunctionOrders"]["Properties"]["Role"] == {"Fn::GetAtt": ["RoleOrders", "Arn"]}


def test_tables_keep_point_in_time_recovery_unless_opted_out_and_protected_stages_cannot_drop_them():
    import dataclasses

    app = make_app(tables=("shop-prod-a", "shop-prod-b"), stage="prod")
    app = dataclasses.replace(app, deploy={"protect": ["prod"]},
                              table_options={"shop-prod-b": {"point_in_time_recovery": False}})
    tables = {v["Properties"]["TableName"]: v["Properties"] for v in of_type(build(app), "AWS::DynamoDB::Table").values()}
    assert tables["shop-prod-a"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert "PointInTimeRecoverySpecification" not in tables["shop-prod-b"]
    assert tables["shop-prod-a"]["DeletionProtectionEnabled"] is tables["shop-prod-b"]["DeletionProtectionEnabled"] is True
    dev = build(dataclasses.replace(make_app(tables=("shop-dev-a",)), deploy={"protect": ["prod"]}))
    (table,) = of_type(dev, "AWS::DynamoDB::Table").values()
    assert "DeletionProtectionEnabled" not in table["Properties"]
    assert table["DeletionPolicy"] == "Retain"


def test_tables_setting_adds_models_and_refuses_strangers():
    tables = ("shop-dev-accounts", "shop-dev-orders")
    config = {"functions": {"report": {"tables": ["orders", "shop-dev-accounts"]}}}
    template = build(make_app(("report",), config, tables=tables))
    (dynamo,) = [s for s in policy(template, "report") if s["Action"][0].startswith("dynamodb:")]
    assert len(dynamo["Resource"]) == 4
    with pytest.raises(TemplateError, match="function 'report': tables lists 'payments', which is not a model"):
        build(make_app(("report",), {"functions": {"report": {"tables": ["payments"]}}}, tables=tables))


def test_no_models_no_dynamodb_statement_and_no_routes_no_api():
    config = {"functions": {"worker": {"path": "/w"}}}
    with_api = build(make_app(("worker",), config))
    assert "Api" in with_api["Resources"] and "ApiUrl" in with_api["Outputs"]
    assert [s["Action"] for s in policy(with_api, "worker")] == [["logs:CreateLogStream", "logs:PutLogEvents"]]
    tables_only = build(make_app((), tables=("shop-dev-a",)))
    assert "Outputs" not in tables_only
    assert [r["Type"] for r in tables_only["Resources"].values()] == ["AWS::DynamoDB::Table"]  # no role, no API
    with pytest.raises(TemplateError, match="no functions .* and no models: nothing to deploy"):
        build(make_app(()))


def test_api_tree_shares_parents_and_each_route_invokes_its_function():
    config = {"functions": {"users": {"path": ["/", "/v1/users", "/v1/users/{id}"]}, "orders": {}}}
    template = build(make_app(("orders", "users"), config))
    resources = of_type(template, "AWS::ApiGateway::Resource")
    parts = sorted(r["Properties"]["PathPart"] for r in resources.values())
    assert parts == ["orders", "users", "v1", "{id}", "{proxy+}"]  # /v1 once, though two routes use it
    methods = of_type(template, "AWS::ApiGateway::Method")
    assert len(methods) == 5
    root = [m for m in methods.values() if m["Properties"]["ResourceId"] == restapi.ROOT]
    assert len(root) == 1
    assert "${FunctionUsers.Arn}:live/" in root[0]["Properties"]["Integration"]["Uri"]["Fn::Sub"]  # the alias
    for method in methods.values():
        assert method["Properties"]["HttpMethod"] == "ANY"
        assert method["Properties"]["Integration"]["Type"] == "AWS_PROXY"
    permissions = of_type(template, "AWS::Lambda::Permission")
    assert sorted(p["Properties"]["FunctionName"]["Fn::Sub"] for p in permissions.values()) == \
        ["${FunctionOrders.Arn}:live", "${FunctionUsers.Arn}:live"]
    (deployment,) = of_type(template, "AWS::ApiGateway::Deployment").values()
    assert template["Resources"]["ApiStage"]["Properties"]["StageName"] == "dev"
    assert sorted(deployment["DependsOn"]) == sorted(methods)


def test_a_route_change_makes_a_new_deployment_and_nothing_else_does():
    def deployment_id(app: App) -> str:
        return next(iter(of_type(build(app), "AWS::ApiGateway::Deployment")))

    base = deployment_id(make_app(("a", "b")))
    assert deployment_id(make_app(("a", "b"), environment={"NAME": "shop", "STAGE": "dev", "X": "1"})) == base
    assert deployment_id(make_app(("a", "b"), {"functions": {"a": {"memory": 512}}})) == base
    assert deployment_id(make_app(("a", "b"), {"functions": {"a": {"path": "/alpha"}}})) != base
    assert deployment_id(make_app(("a", "b", "c"))) != base


def test_grouping_keeps_resources_it_cannot_read():
    from tight_tasks.deploy.template import group_arns

    statements = [{"Effect": "Allow", "Action": ["sqs:ReceiveMessage"],
                   "Resource": [{"Fn::GetAtt": ["Queue", "Arn"]}, "arn:aws:sqs:eu-west-1:1:q",
                                {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:r:a:table/shop-dev-x/stream/*"}]}]
    assert group_arns(statements, "shop-dev-")[0]["Resource"] == [
        {"Fn::GetAtt": ["Queue", "Arn"]}, "arn:aws:sqs:eu-west-1:1:q",
        {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:r:a:table/shop-dev-*"}]


def test_big_apps_keep_the_policy_under_iams_limit():
    names = [f"fn{i:03d}" for i in range(100)]
    app = make_app(tuple(names), tables=tuple(f"shop-dev-table{i:03d}" for i in range(100)),
                   imports={"fn000": {"*"}, "fn001": {"table001"}})
    template = build(app)
    document = {"Version": "2012-10-17", "Statement": policy(template, "fn000")}
    assert len(json.dumps(document, separators=(",", ":"))) < POLICY_LIMIT
    resources = [r["Fn::Sub"] for s in document["Statement"] for r in s["Resource"]]
    assert any(r.endswith(":table/shop-dev-*") for r in resources)  # grouped: 100 tables do not fit
    assert [r["Fn::Sub"].rsplit(":", 1)[1] for s in policy(template, "fn001") for r in s["Resource"]][1:] == \
        ["table/shop-dev-table001", "table/shop-dev-table001/index/*"]  # not grouped: it fits
    assert len(of_type(template, "AWS::Lambda::Function")) == 100


@pytest.mark.parametrize("environment, message", [
    ({"AWS_REGION": "x"}, "environment key AWS_REGION is reserved by Lambda"),
    ({"1BAD": "x"}, "environment key '1BAD' is not usable on Lambda"),
    ({"BIG": "x" * 5000}, "over Lambda's 4,096-byte limit"),
])
def test_unusable_environments_are_refused(environment, message):
    with pytest.raises(TemplateError, match=message):
        build(make_app(environment={"NAME": "shop", "STAGE": "dev", **environment}))


def test_undeployable_types_and_tables_named_twice_are_errors():
    with pytest.raises(TemplateError, match="two models use the table name shop-dev-a"):
        build(make_app(tables=("shop-dev-a", "shop-dev-a")))
    app = make_app(("hello",))
    odd = App(**{**app.__dict__, "functions": {"hello": {**app.functions["hello"], "type": "carrier_pigeon"}}})
    with pytest.raises(TemplateError, match="function 'hello': type carrier_pigeon cannot be deployed yet"):
        build(odd)


def test_names_stay_within_limits_and_are_stable():
    long = function_name("a" * 40, "production", "process_everything_now")
    assert len(long) == 64 and long == function_name("a" * 40, "production", "process_everything_now")
    assert function_name("shop", "dev", "hello") == "shop-dev-hello"
    assert logical_id("Function", "my_controller") == "FunctionMyController"


def test_render_is_yaml_without_aliases():
    text = render(build(make_app(("a", "b"))))
    assert "&id" not in text and "*id" not in text
    assert yaml.safe_load(text)["AWSTemplateFormatVersion"] == "2010-09-09"


# -- inputs: what the app says for a stage ---------------------------------------------------------

MODEL = '''import os
from flywheel import Field, Model


class Account(Model):
    __metadata__ = {'_name': f"{os.environ['NAME']}-{os.environ['STAGE']}-accounts-{os.environ['FLAVOUR']}"}
    id = Field(type=str, hash_key=True)
'''


@pytest.fixture
def app_root(tmp_path):
    root = tmp_path / "shop"
    (root / "app" / "models").mkdir(parents=True)
    (root / "app" / "functions" / "hello").mkdir(parents=True)
    (root / "app" / "functions" / "hello" / "handler.py").write_text("")
    (root / "app" / "models" / "Account.py").write_text(MODEL)
    (root / "tight.yml").write_text("name: shop\nruntime: python3.13\narchitecture: arm64\n")
    (root / "env.dist.yml").write_text("STAGE: dev\nFLAVOUR: plain\nFLAG: true\nEMPTY:\n")
    (root / "env.prod.yml").write_text("FLAVOUR: spicy\n")
    (root / "env.yml").write_text("FLAVOUR: laptop\nSECRET: x\n")
    return root


def test_stage_environment_is_dist_then_stage_file_never_env_yml_or_shell(app_root, monkeypatch):
    monkeypatch.setenv("FLAVOUR", "from-shell")
    assert inputs.stage_environment(app_root, "shop", "prod") == \
        {"EMPTY": "", "FLAG": "true", "FLAVOUR": "spicy", "NAME": "shop", "STAGE": "prod"}
    assert inputs.stage_environment(app_root, "shop", "qa")["FLAVOUR"] == "plain"


def test_models_are_evaluated_for_each_stage_and_the_process_is_left_as_it_was(app_root, monkeypatch):
    monkeypatch.setenv("STAGE", "mine")
    settings = {"name": "shop", "runtime": "python3.13", "architecture": "arm64"}
    prod = inputs.read_app(app_root, settings, "prod")
    qa = inputs.read_app(app_root, settings, "qa")
    assert [t["TableName"] for t in prod.tables] == ["shop-prod-accounts-spicy"]
    assert [t["TableName"] for t in qa.tables] == ["shop-qa-accounts-plain"]
    assert (prod.runtime, prod.architecture) == ("python3.13", "arm64")
    assert os.environ["STAGE"] == "mine" and "FLAVOUR" not in os.environ
    assert "app.models.Account" not in sys.modules
    assert list(prod.functions) == ["hello"] and [r.path for r in prod.routes] == ["/hello", "/hello/{proxy+}"]


@pytest.mark.parametrize("stage", ["", "my_stage", "a/b", "x" * 33, "dev prod"])
def test_bad_stages_are_usage_errors(stage):
    with pytest.raises(Exit) as caught:
        inputs.check_stage(stage)
    assert caught.value.code == 2


def test_unusable_app_names_and_function_settings_are_one_line_errors(app_root):
    with pytest.raises(Exit, match="cannot name a CloudFormation stack"):
        inputs.read_app(app_root, {"name": "my_shop"}, "dev")
    with pytest.raises(Exit, match="function 'hello': memory must be a whole number"):
        inputs.read_app(app_root, {"name": "shop", "functions": {"hello": {"memory": "lots"}}}, "dev")


def test_a_model_opts_out_of_point_in_time_recovery_and_deploy_protect_is_checked(app_root):
    (app_root / "app" / "models" / "Log.py").write_text(
        "from flywheel import Field, Model\n\n\nclass Log(Model):\n"
        "    __metadata__ = {'_name': 'shop-logs', 'point_in_time_recovery': False}\n"
        "    id = Field(type=str, hash_key=True)\n")
    app = inputs.read_app(app_root, {"name": "shop", "deploy": {"protect": ["prod"]}}, "prod")
    assert app.table_options == {"shop-prod-accounts-spicy": {"point_in_time_recovery": True},
                                 "shop-logs": {"point_in_time_recovery": False}}
    assert app.deploy["protect"] == ["prod"]
    with pytest.raises(Exit, match="deploy.protect must be a list of stage names"):
        inputs.read_app(app_root, {"name": "shop", "deploy": {"protect": "prod"}}, "prod")
    (app_root / "app" / "models" / "Log.py").write_text(
        (app_root / "app" / "models" / "Log.py").read_text().replace("False", "'no'"))
    with pytest.raises(Exit, match=r"model Log: __metadata__\['point_in_time_recovery'\] must be True or False"):
        inputs.read_app(app_root, {"name": "shop"}, "prod")


def test_the_rest_api_has_binary_types_and_an_explicit_throttled_logged_stage():
    import dataclasses

    template = build(dataclasses.replace(make_app(("a", "b")), deploy={"throttle": {"rate": 25.5, "burst": 50}}))
    api = template["Resources"]["Api"]["Properties"]
    assert api["BinaryMediaTypes"] == ["*/*"]  # bytes a handler returns reach clients as bytes
    (deployment_id, deployment), = of_type(template, "AWS::ApiGateway::Deployment").items()
    assert "StageName" not in deployment["Properties"]  # the stage is its own resource
    stage = template["Resources"]["ApiStage"]["Properties"]
    assert (stage["StageName"], stage["DeploymentId"], stage["RestApiId"]) == ("dev", {"Ref": deployment_id},
                                                                               {"Ref": "Api"})
    assert stage["MethodSettings"] == [{"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": 25.5,
                                        "ThrottlingBurstLimit": 50}]
    assert stage["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}
    assert json.loads(stage["AccessLogSetting"]["Format"])["requestId"] == "$context.requestId"
    logs = template["Resources"]["ApiAccessLogs"]
    assert (logs["DeletionPolicy"], logs["UpdateReplacePolicy"]) == ("Retain", "Retain")
    default = build(make_app(("a",)))["Resources"]["ApiStage"]["Properties"]["MethodSettings"][0]
    assert (default["ThrottlingRateLimit"], default["ThrottlingBurstLimit"]) == (100, 200)


@pytest.mark.parametrize("throttle, message", [
    ({"rate": 0}, "deploy.throttle.rate must be a positive number"),
    ({"burst": 1.5}, "deploy.throttle.burst must be a whole number"),
    ({"speed": 3}, "deploy.throttle must be a mapping of rate and burst"),
    ("fast", "deploy.throttle must be a mapping of rate and burst"),
])
def test_throttle_settings_api_gateway_would_refuse(throttle, message):
    import dataclasses

    with pytest.raises(TemplateError, match=message):
        build(dataclasses.replace(make_app(("a",)), deploy={"throttle": throttle}))
