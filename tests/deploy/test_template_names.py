"""Logical ids are collision-free by construction: hostile but legal names, every template through cfn-lint."""
from __future__ import annotations

import pytest
from deploy_support import cfn_lint

from tight.dev.routes import function_settings, routes
from tight_tasks.deploy.parts import (
    KINDS,
    OUTPUT_KINDS,
    OUTPUT_SINGLETONS,
    SINGLETONS,
    logical_id,
)
from tight_tasks.deploy.template import App, TemplateError, build, render

LONG = "process_" + "everything_" * 9 + "now_"  # 115 characters: app_index.<name> within Lambda's 128
CONFIG = {"functions": {
    "role": {"path": ["/api", "/role"]},
    "api": {"type": "dynamodb_stream", "table": "role"},
    "deployment": {"type": "sqs"},
    "x": {"type": "s3", "bucket": "permission-x"},
    "permission_x": {"type": "s3", "bucket": "x", "prefix": "in/"},
    "schedule_x": {"type": "schedule", "schedule": "rate(1 hour)"},
    LONG: {"type": "sqs"}, LONG + "2": {"type": "sqs"},
}}
NAMES = ("Api", "a1", "a_1", "api", "deployment", "fn2", "myFn", "my_fn", "permission_x", "role", "schedule_x",
         "x", "x1", LONG, LONG + "2")
TABLES = ("shop-dev-role", "role", "shop-dev-api-keys", "shop-dev-api_keys", "shop-dev-2fa")


def spec(name: str) -> dict:
    return {"TableName": name, "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}


def make_app(names=NAMES, config=CONFIG) -> App:
    return App(name="shop", stage="dev", runtime="python3.12", architecture="x86_64",
               environment={"NAME": "shop", "STAGE": "dev"}, tables=[spec(t) for t in TABLES],
               functions=function_settings(config, names), routes=routes(config, names),
               model_tables={"role": "shop-dev-role"})


def test_kinds_are_prefix_free_so_no_two_kinds_make_one_id():
    for kinds, singletons in ((KINDS, SINGLETONS), (OUTPUT_KINDS, OUTPUT_SINGLETONS)):
        for kind in kinds:
            assert not [other for other in kinds if other != kind and other.startswith(kind)], kind
            assert not [single for single in singletons if single.startswith(kind)], kind
    with pytest.raises(ValueError, match="kind 'Widget' is not registered"):
        logical_id("Widget", "x")


@pytest.mark.parametrize("a, b", [("my_fn", "myFn"), ("a_1", "a1"), ("my_fn", "my__fn"), ("x", "X"),
                                  ("ab_c", "a_bc"), ("a_b", "a_b_")])
def test_names_that_camel_case_alike_get_different_ids(a, b):
    assert logical_id("Function", a) != logical_id("Function", b)


def test_plain_names_keep_their_readable_ids():
    assert logical_id("Function", "my_controller") == "FunctionMyController"
    assert logical_id("Table", "user-profiles", separator="-") == "TableUserProfiles"
    assert logical_id("Function", "myFn").startswith("Function0") and logical_id("Function", "myFn").endswith("MyFn")
    assert len(logical_id("Function", "x" * 300)) <= 255


def test_hostile_names_make_one_resource_each_and_pass_cfn_lint(tmp_path):
    template = build(make_app())
    resources = template["Resources"]
    functions = {k: v["Properties"]["FunctionName"] for k, v in resources.items() if v["Type"] == "AWS::Lambda::Function"}
    assert len(functions) == len(set(functions.values())) == len(NAMES)
    assert all(len(name) <= 64 for name in functions.values())
    roles = [k for k, v in resources.items() if v["Type"] == "AWS::IAM::Role"]
    assert len(roles) == len(NAMES)
    assert "FunctionRole" in resources and resources["FunctionRole"]["Type"] == "AWS::Lambda::Function"
    assert resources["RoleRole"]["Type"] == "AWS::IAM::Role"
    assert resources["Api"]["Type"] == "AWS::ApiGateway::RestApi" and resources["FunctionApi"]["Type"] == \
        "AWS::Lambda::Function"
    permissions = [k for k, v in resources.items() if v["Type"] == "AWS::Lambda::Permission"]
    assert {"ApiInvokeRole", "RuleInvokeScheduleX", "S3InvokeX", "S3InvokePermissionX"} <= \
        set(permissions)
    buckets = {k: v["Properties"]["BucketName"] for k, v in resources.items() if v["Type"] == "AWS::S3::Bucket"}
    assert buckets == {"BucketPermissionX": "shop-dev-permission-x", "BucketX": "shop-dev-x"}
    tables = {v["Properties"]["TableName"] for v in resources.values() if v["Type"] == "AWS::DynamoDB::Table"}
    assert tables == set(TABLES)
    path = tmp_path / "hostile.yml"
    path.write_text(render(template))
    linted = cfn_lint(path)
    assert linted.returncode == 0, linted.stdout + linted.stderr


@pytest.mark.parametrize("name", ["café", "naïve_fn", "名前"])
def test_names_aws_refuses_are_one_line_errors(name):
    with pytest.raises(TemplateError, match=f"function '{name}': Lambda function and log group names take only "
                                            "ASCII letters, digits, '-' and '_': rename app/functions/"):
        build(make_app((name,), {}))


def test_a_name_too_long_for_lambdas_handler_is_refused():
    name = "x" * 119
    with pytest.raises(TemplateError, match="would be longer than Lambda's 128 characters: rename app/functions/<name> "
                                            "to at most 118 characters"):
        build(make_app((name,), {}))
