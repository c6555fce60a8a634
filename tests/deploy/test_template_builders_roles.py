"""Each builder of deploy's template that makes functions and their roles, on its own (pure): roles (IAM per
grant, merging, grouping at IAM's size limit), functions (properties at their defaults and each option,
the environment's limits) and the template's frame; whole resources and exact refusals."""
from __future__ import annotations

import json

import pytest

from tight.dev.routes import function_settings, routes
from tight_tasks.deploy import functions, roles
from tight_tasks.deploy.parts import App, Parts, TemplateError
from tight_tasks.deploy.tables import TABLE_ACTIONS
from tight_tasks.deploy.template import build

TABLE = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/"
LOGS = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"


def make_app(entries: dict, tables=("accounts", "orders"), imports: dict | None = None, environment=None,
             **more) -> App:
    config = {"functions": entries}
    return App(name="shop", stage="dev", runtime="python3.12", architecture="arm64",
               environment={"NAME": "shop", "STAGE": "dev"} if environment is None else environment,
               tables=[{"TableName": f"shop-dev-{t}"} for t in tables],
               functions=function_settings(config, list(entries)), routes=routes(config, list(entries)),
               model_tables={t.title(): f"shop-dev-{t}" for t in tables},
               function_models={k: frozenset(v) for k, v in (imports or {}).items()}, **more)


def table_statement(*tables: str) -> dict:
    return {"Effect": "Allow", "Action": TABLE_ACTIONS,
            "Resource": [{"Fn::Sub": TABLE + t + end} for t in tables for end in ("", "/index/*")]}


# -- roles: which tables -----------------------------------------------------------------

@pytest.mark.parametrize(("imports", "listed", "expected"), [
    (set(), None, []),
    ({"Orders"}, None, ["shop-dev-orders"]),
    ({"Orders", "Accounts"}, None, ["shop-dev-accounts", "shop-dev-orders"]),  # in the app's order
    ({"*"}, None, ["shop-dev-accounts", "shop-dev-orders"]),
    ({"Invoice"}, None, []),  # imported, but no model of this app
    (set(), ["Accounts"], ["shop-dev-accounts"]),  # a model
    ({"Orders"}, ["shop-dev-accounts"], ["shop-dev-accounts", "shop-dev-orders"]),  # a table
])
def test_a_function_gets_the_tables_it_imports_and_lists(imports, listed, expected):
    app = make_app({"api": {"tables": listed}}, imports={"api": imports})
    assert roles.function_tables(app, "api", app.functions["api"]) == expected
    grants = roles.table_grants(app, "api", app.functions["api"])
    assert grants == ([table_statement(*expected)] if expected else [])


@pytest.mark.parametrize(("tables", "known"), [(("accounts", "orders"), "Accounts, Orders"), ((), "none")])
def test_a_listed_table_that_is_no_model_is_refused(tables, known):
    app = make_app({"api": {"tables": ["Invoice"]}}, tables)
    with pytest.raises(TemplateError) as error:
        roles.function_tables(app, "api", app.functions["api"])
    assert str(error.value) == (f"function 'api': tables lists 'Invoice', which is not a model or table of this app "
                                f"(models: {known})")


# -- roles: statements -------------------------------------------------------------------

def test_statements_of_one_effect_and_actions_merge_resources_in_order_once():
    statements = [{"Effect": "Allow", "Action": ["a:X", "a:Y"], "Resource": ["r1", "r2"]},
                  {"Effect": "Allow", "Action": ["b:Z"], "Resource": ["r1"]},
                  {"Effect": "Allow", "Action": ["a:X", "a:Y"], "Resource": ["r2", "r3"]},
                  {"Effect": "Allow", "Action": ["a:Y", "a:X"], "Resource": ["r4"]},
                  {"Effect": "Deny", "Action": ["a:X", "a:Y"], "Resource": ["r5"]}]
    assert roles.merge_statements(statements) == [
        {"Effect": "Allow", "Action": ["a:X", "a:Y"], "Resource": ["r1", "r2", "r3"]},
        {"Effect": "Allow", "Action": ["b:Z"], "Resource": ["r1"]},
        {"Effect": "Allow", "Action": ["a:Y", "a:X"], "Resource": ["r4"]},
        {"Effect": "Deny", "Action": ["a:X", "a:Y"], "Resource": ["r5"]}]
    assert statements[0]["Resource"] == ["r1", "r2"]  # the given statements are left as they were


def test_group_arns_covers_the_apps_tables_and_log_groups_with_one_arn_each():
    statements = [{"Effect": "Allow", "Action": ["x:Y"], "Resource": [
        {"Fn::Sub": TABLE + "shop-dev-accounts"}, {"Fn::Sub": TABLE + "shop-dev-orders/index/*"},
        {"Fn::Sub": TABLE + "legacy"}, {"Fn::Sub": LOGS + "/aws/lambda/shop-dev-api:*"},
        {"Fn::Sub": LOGS + "/aws/apigateway/shop-dev:*"}, {"Fn::GetAtt": ["Queue", "Arn"]}, "*",
        {"Fn::Sub": "arn:${AWS::Partition}:s3:::shop-dev-uploads/*"}]}]
    assert roles.group_arns(statements, "shop-dev-") == [{"Effect": "Allow", "Action": ["x:Y"], "Resource": [
        {"Fn::Sub": TABLE + "shop-dev-*"}, {"Fn::Sub": TABLE + "legacy"}, {"Fn::Sub": LOGS + "/aws/lambda/shop-dev-*"},
        {"Fn::Sub": LOGS + "/aws/apigateway/shop-dev:*"}, {"Fn::GetAtt": ["Queue", "Arn"]}, "*",
        {"Fn::Sub": "arn:${AWS::Partition}:s3:::shop-dev-uploads/*"}]}]


def role(description: str, statements: list) -> dict:
    return {"Type": "AWS::IAM::Role", "Properties": {
        "Description": description,
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "Policies": [{"PolicyName": "function", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}]}}


def test_role_resource_lets_only_lambda_assume_it_with_its_merged_statements():
    app = make_app({"role": {}})
    made = roles.role_resource(app, "role", [table_statement("shop-dev-accounts"), table_statement("shop-dev-orders")])
    assert made == role("Function role of shop (dev), deployed by tight",
                        [table_statement("shop-dev-accounts", "shop-dev-orders")])


QUEUE_ARN = "arn:aws-us-gov:sqs:ap-southeast-3:123456789012:" + "q" * 80  # the longest a queue's ARN can be
FAILURES = {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [{"Fn::GetAtt": ["FailuresApi", "Arn"]}]}


def resolved(statements: list) -> int:
    """Characters of the policy with the longest partition, region, account (and queue ARN) it can resolve to."""
    text = json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":"))
    for variable, value in (("${AWS::Partition}", "aws-us-gov"), ("${AWS::Region}", "ap-southeast-3"),
                            ("${AWS::AccountId}", "123456789012"),
                            ('{"Fn::GetAtt":["FailuresApi","Arn"]}', json.dumps(QUEUE_ARN))):
        text = text.replace(variable, value)
    return len(text.replace('{"Fn::Sub":"', '"').replace('"}', '"'))


def objects(length: int) -> dict:
    return {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::shop/" + "p" * length]}


def padded(size: int) -> list:
    """Two of the app's tables, a failure queue and an S3 prefix: a policy of ``size`` characters resolved."""
    tables = table_statement("shop-dev-accounts", "shop-dev-orders")
    return [tables, FAILURES, objects(size - resolved([tables, FAILURES, objects(0)]))]


@pytest.mark.parametrize(("size", "grouped"), [(roles.POLICY_LIMIT, False), (roles.POLICY_LIMIT + 1, True)])
def test_a_policy_over_iams_limit_groups_the_apps_arns(size, grouped):
    statements = padded(size)
    assert resolved(statements) == size
    made = roles.role_resource(make_app({"api": {}}), "api", statements)
    (policy,) = made["Properties"]["Policies"]
    assert policy["PolicyDocument"]["Statement"] == ([{**statements[0], "Resource": [{"Fn::Sub": TABLE + "shop-dev-*"}]}, *statements[1:]] if grouped
                                                     else statements)


def test_a_policy_at_iams_limit_once_grouped_is_kept():
    tables = table_statement("shop-dev-accounts", "shop-dev-orders")
    grouped = {**tables, "Resource": [{"Fn::Sub": TABLE + "shop-dev-*"}]}
    statements = padded(roles.POLICY_LIMIT + resolved([tables]) - resolved([grouped]))
    assert resolved([grouped, *statements[1:]]) == roles.POLICY_LIMIT
    made = roles.role_resource(make_app({"api": {}}), "api", statements)
    assert made["Properties"]["Policies"][0]["PolicyDocument"]["Statement"] == [grouped, *statements[1:]]


def test_a_policy_over_the_limit_even_grouped_is_refused():
    statements = [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::b{i:04}/*"
                                                                               for i in range(700)]}]
    with pytest.raises(TemplateError) as error:
        roles.role_resource(make_app({"api": {}}), "api", statements)
    assert str(error.value) == ("function 'api': its IAM policy would exceed IAM's 10,240-character limit: "
                                "name the tables shop-dev-<suffix> so one ARN covers them")


def test_roles_family_gives_each_function_its_grants_tables_secrets_and_queues():
    app = make_app({"api": {"uses": ["job"]}, "job": {"type": "sqs"}, "role": {}}, imports={"api": {"Orders"}},
                   environment={"NAME": "shop", "DB": "ssm:/shop/dev/db"})
    given = Parts().grant("api", ["logs:PutLogEvents"], ["log"])
    made = roles.roles_family(app, given)
    ssm = {"Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:GetParameters"], "Resource": [
        {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/shop/dev/db"}]}
    assert list(made.resources) == ["RoleApi", "RoleJob", "RoleRole"]
    assert made.resources["RoleApi"] == role("Function api of shop (dev), deployed by tight", [
        {"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": ["log"]}, table_statement("shop-dev-orders"),
        ssm, {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [
            {"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:shop-dev-job"}]}])
    assert made.resources["RoleRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"] == [ssm]
    assert (made.grants, made.outputs) == ({}, {})


# -- functions ---------------------------------------------------------------------------

def function_resources(name: str = "api", memory: int = 256, timeout: int = 30, retention: int = 14,
                       handler: str | None = None, variables: dict | None = None) -> dict:
    logs, function = f"Logs{name.title()}", f"Function{name.title()}"
    return {logs: {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Delete", "Properties": {
                "LogGroupName": f"/aws/lambda/shop-dev-{name}", "RetentionInDays": retention}},
            function: {"Type": "AWS::Lambda::Function", "DependsOn": [logs], "Properties": {
                "FunctionName": f"shop-dev-{name}", "Handler": handler or f"app_index.{name}", "Runtime": "python3.12",
                "Architectures": ["arm64"], "MemorySize": memory, "Timeout": timeout,
                "Role": {"Fn::GetAtt": [f"Role{name.title()}", "Arn"]},
                "Code": {"S3Bucket": {"Ref": "CodeBucket"}, "S3Key": {"Ref": "CodeKey"}},
                "Environment": {"Variables": variables or {"NAME": "shop", "STAGE": "dev"}}}}}


@pytest.mark.parametrize(("entry", "options"), [
    ({}, {}),
    ({"memory": 128, "timeout": 1, "log_retention": 1}, {"memory": 128, "timeout": 1, "retention": 1}),
    ({"memory": 10240, "timeout": 900, "log_retention": 3653}, {"memory": 10240, "timeout": 900, "retention": 3653}),
])
def test_a_function_and_its_log_group_at_their_defaults_and_each_option(entry, options):
    app = make_app({"api": entry})
    made = functions.function_parts(app, "api", app.functions["api"])
    assert made.resources == function_resources(**options)
    assert made.grants == {"api": [{"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                                    "Resource": [{"Fn::Sub": LOGS + "/aws/lambda/shop-dev-api:*"}]}]}


def test_functions_family_adds_what_each_type_needs_in_name_order():
    app = make_app({"role": {}, "job": {"type": "sqs"}, "gate": {"type": "authorizer"}})
    made = functions.functions_family(app)
    assert [k for k in made.resources if k.startswith("Function")] == ["FunctionGate", "FunctionJob", "FunctionRole"]
    assert {k: v for k, v in made.resources.items() if k.endswith("Role")} == function_resources(
        "role", variables={"NAME": "shop", "STAGE": "dev", "TIGHT_QUEUES": '{"job":null}', "TIGHT_BUCKETS": "{}"})
    assert sorted(k for k in made.resources if not k.startswith(("Function", "Logs"))) == [
        "DeadLettersJob", "EventsJob", "QueueJob"]
    assert sorted(made.grants) == ["gate", "job", "role"] and len(made.grants["job"]) == 2


@pytest.mark.parametrize(("name", "message"), [
    ("café", ("function 'café': Lambda function and log group names take only ASCII letters, digits, '-' and '_': "
             "rename app/functions/café")),
    ("a" * 119, (f"function {'a' * 40!r}...: its handler app_index.<name> would be longer than Lambda's 128 "
                "characters: rename app/functions/<name> to at most 118 characters")),
])
def test_functions_lambda_cannot_name_are_refused(name, message):
    app = App(**{**make_app({}).__dict__, "functions": {name: {"type": "lambda_proxy", "memory": 256, "timeout": 30,
                                                                "log_retention": 14}}})
    with pytest.raises(TemplateError) as error:
        functions.functions_family(app)
    assert str(error.value) == message


def test_a_handler_of_exactly_128_characters_and_an_undeployable_type():
    name = "a" * 118
    app = App(**{**make_app({}).__dict__, "functions": {name: {"memory": 256, "timeout": 30, "log_retention": 14}}})
    made = functions.functions_family(app)
    assert made.resources[f"Function{name.title()}"]["Properties"]["Handler"] == f"app_index.{name}"
    app = App(**{**app.__dict__, "functions": {"api": {"type": "sns", "memory": 256, "timeout": 30,
                                                       "log_retention": 14}}})
    with pytest.raises(TemplateError) as error:
        functions.functions_family(app)
    assert str(error.value) == ("function 'api': type sns cannot be deployed yet (deployable: authorizer, "
                                "dynamodb_stream, lambda_proxy, s3, schedule, sqs)")


@pytest.mark.parametrize(("section", "lines"), [
    ({"api": {"timeout": 29}, "role": {"timeout": 30}, "job": {"type": "sqs", "timeout": 900}}, ["role"]),
    ({"api": {"timeout": 900}, "role": {}}, ["api"]),
    ({"api": {"memory": 512}}, []),  # the default timeout (30 s) is left alone
])
def test_timeout_warnings_name_http_functions_set_above_29_seconds(section, lines):
    app = make_app(section)
    expected = [f"function {name!r}: timeout {app.functions[name]['timeout']} s is above API Gateway's 29 s "
                f"integration timeout: callers get a 504 after 29 s while it runs on (set functions.{name}.timeout "
                "to 29 or less, or hand the work to an sqs function)" for name in lines]
    assert functions.timeout_warnings(app, section) == expected
    for other in (None, [], list(section), {name: None for name in section}, {name: "x" for name in section}):
        assert functions.timeout_warnings(app, other) == []


@pytest.mark.parametrize(("environment", "message"), [
    ({"2FA": "x"}, "environment key '2FA' is not usable on Lambda: use letters, digits and _, starting with a letter"),
    ({"MY-KEY": "x"}, ("environment key 'MY-KEY' is not usable on Lambda: use letters, digits and _, starting with a "
                      "letter")),
    ({"AWS_REGION": "eu-west-1"}, "environment key AWS_REGION is reserved by Lambda: rename it in the env files"),
    ({"BIG": "é" * 2047}, ("the environment holds 4,097 bytes, over Lambda's 4,096-byte limit: move large values out "
                          "of env.dist.yml / env.<stage>.yml")),
])
def test_environments_lambda_refuses(environment, message):
    with pytest.raises(TemplateError) as error:
        functions.check_environment(environment)
    assert str(error.value) == message


def test_an_environment_of_4096_bytes_is_kept_sorted_and_as_strings():
    big = "é" * 2041 + "x"  # 4,083 bytes: with BIG, STAGE, dev, A and 1, 4,096
    assert functions.check_environment({"STAGE": "dev", "BIG": big, "A": 1}) == {"A": "1", "BIG": big, "STAGE": "dev"}


# -- template ----------------------------------------------------------------------------

def test_the_templates_frame_parameters_and_outputs():
    made = build(make_app({"api": {}}, tables=(), environment={"STAGE": "dev", "NAME": "shop"},
                                   aliases=False))
    assert {k: v for k, v in made.items() if k != "Resources"} == {
        "AWSTemplateFormatVersion": "2010-09-09", "Description": "shop (dev stage), deployed by tight",
        "Parameters": {"CodeBucket": {"Type": "String", "Description": "S3 bucket holding the code zip"},
                       "CodeKey": {"Type": "String", "Description": "S3 key of the code zip (named by its sha256)"}},
        "Outputs": {"ApiUrl": {"Description": "Invoke URL of the REST API", "Value": {
            "Fn::Sub": "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/dev/"}}}}
    assert list(made["Resources"]["FunctionApi"]["Properties"]["Environment"]["Variables"]) == ["NAME", "STAGE"]
    assert made["Resources"]["RoleApi"]["Type"] == "AWS::IAM::Role"
    tables_only = build(make_app({}, tables=("accounts",)))
    assert "Outputs" not in tables_only and list(tables_only["Resources"]) == ["TableAccounts"]


def test_an_empty_app_is_refused_and_environments_are_checked_first():
    with pytest.raises(TemplateError) as error:
        build(make_app({}, tables=()))
    assert str(error.value) == ("the app has no functions (app/functions/NAME/handler.py) and no models: "
                                "nothing to deploy")
    with pytest.raises(TemplateError, match="^environment key AWS_REGION is reserved"):
        build(make_app({}, tables=(), environment={"AWS_REGION": "x"}))


def test_render_writes_block_yaml_in_the_order_built_without_aliases_or_folded_lines():
    from tight_tasks.deploy.template import render

    role = {"Fn::GetAtt": ["RoleApi", "Arn"]}  # one object twice: CloudFormation refuses YAML aliases
    long = "word " * 30 + "end"  # 153 characters: one line
    made = {"Resources": {"FunctionApi": {"Type": "AWS::Lambda::Function", "Properties": {
        "Role": role, "Kms": role, "Architectures": ["arm64"], "Description": long}},
        "AlarmTopic": {"Type": "AWS::SNS::Topic"}}, "AWSTemplateFormatVersion": "2010-09-09"}
    assert render(made) == f"""Resources:
  FunctionApi:
    Type: AWS::Lambda::Function
    Properties:
      Role:
        Fn::GetAtt:
        - RoleApi
        - Arn
      Kms:
        Fn::GetAtt:
        - RoleApi
        - Arn
      Architectures:
      - arm64
      Description: {long}
  AlarmTopic:
    Type: AWS::SNS::Topic
AWSTemplateFormatVersion: '2010-09-09'
"""
