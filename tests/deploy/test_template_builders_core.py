"""Each core builder of deploy's template on its own (pure): parts (names, ids, merging), tables, roles and
functions, called directly with small real-shaped inputs; whole resources and exact refusals."""
from __future__ import annotations

import hashlib

import pytest

from tight.dev.routes import function_settings
from tight_tasks.deploy import parts
from tight_tasks.deploy.parts import App, Parts, TemplateError, logical_id

SUB = "arn:${AWS::Partition}"


def sha(text: str, size: int = 8) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:size]


# -- parts: Parts ------------------------------------------------------------------------

def test_parts_add_merges_resources_grants_and_outputs_and_returns_itself():
    first = Parts({"FunctionA": {"Type": "AWS::Lambda::Function"}}, {"a": [{"Sid": "1"}]}, {"One": {"Value": 1}})
    second = Parts({"FunctionB": {"Type": "AWS::Lambda::Function"}}, {"a": [{"Sid": "2"}], "b": [{"Sid": "3"}]},
                   {"Two": {"Value": 2}})
    assert first.add(second) is first
    assert first == Parts({"FunctionA": {"Type": "AWS::Lambda::Function"}, "FunctionB": {"Type": "AWS::Lambda::Function"}},
                          {"a": [{"Sid": "1"}, {"Sid": "2"}], "b": [{"Sid": "3"}]},
                          {"One": {"Value": 1}, "Two": {"Value": 2}})
    assert second.grants == {"a": [{"Sid": "2"}], "b": [{"Sid": "3"}]}  # the added parts are left as they were


@pytest.mark.parametrize(("new", "old", "what"), [
    ({"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "shop-dev-role"}},
     {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "shop-dev-role"}},
     "AWS::DynamoDB::Table shop-dev-role and AWS::Lambda::Function shop-dev-role"),
    ({"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/aws/lambda/shop-dev-api"}},
     {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q"}},
     "AWS::Logs::LogGroup /aws/lambda/shop-dev-api and AWS::SQS::Queue"),
    ({"Type": "AWS::SNS::Topic"}, {"Type": "AWS::SNS::Topic", "Properties": None}, "AWS::SNS::Topic and AWS::SNS::Topic"),
    ({}, {"Type": "AWS::SNS::Topic"}, "None and AWS::SNS::Topic"),
])
def test_parts_add_refuses_a_logical_id_twice_naming_both(new, old, what):
    with pytest.raises(TemplateError) as error:
        Parts({"TableRole": old}).add(Parts({"TableRole": new}))
    assert str(error.value) == f"two parts of the app have the logical id TableRole ({what}): rename one of them"


def test_grant_appends_an_allow_statement_of_copied_lists():
    actions, resources = ["s3:GetObject"], [{"Fn::Sub": "arn"}]
    found = Parts().grant("api", actions, resources).grant("api", ["sqs:SendMessage"], ["*"])
    assert found.grants == {"api": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [{"Fn::Sub": "arn"}]},
                                    {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": ["*"]}]}
    made = parts.statement(actions, resources)
    assert made["Action"] is not actions and made["Resource"] is not resources


def test_api_permission_is_scoped_to_its_api_and_what_is_under_it():
    assert parts.api_permission("role", "HttpApi") == {"Type": "AWS::Lambda::Permission", "Properties": {
        "Action": "lambda:InvokeFunction", "Principal": "apigateway.amazonaws.com",
        "FunctionName": {"Fn::GetAtt": ["FunctionRole", "Arn"]},
        "SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${HttpApi}/*"}}}
    assert parts.api_permission("gate", "Api", "authorizers/${AuthorizerGate}")["Properties"]["SourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/authorizers/"
                   "${AuthorizerGate}"}


# -- parts: names ------------------------------------------------------------------------

def test_stack_function_and_log_group_names():
    assert parts.stack_name("shop", "prod") == "shop-prod"
    assert parts.function_name("shop", "dev", "api") == "shop-dev-api"
    assert parts.log_group_name("shop", "dev", "role") == "/aws/lambda/shop-dev-role"


@pytest.mark.parametrize("size", [63, 64])
def test_function_names_up_to_64_characters_are_kept(size):
    function = "f" * (size - len("shop-dev-"))
    assert parts.function_name("shop", "dev", function) == f"shop-dev-{function}"


@pytest.mark.parametrize("size", [65, 120])
def test_longer_function_names_keep_their_head_and_a_digest_of_the_whole(size):
    whole = "shop-dev-" + "f" * (size - len("shop-dev-"))
    name = parts.function_name("shop", "dev", whole[len("shop-dev-"):])
    assert name == whole[:55] + "-" + sha(whole) and len(name) == 64
    assert parts.log_group_name("shop", "dev", whole[len("shop-dev-"):]) == "/aws/lambda/" + name


def test_arns_of_tables_and_log_groups():
    assert parts.table_arns("shop-dev-accounts") == [
        f"{SUB}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/shop-dev-accounts",
        f"{SUB}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/shop-dev-accounts/index/*"]
    assert parts.log_group_arn("/aws/lambda/shop-dev-api") == \
        f"{SUB}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/lambda/shop-dev-api:*"


# -- parts: logical ids ------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "name", "separator", "expected"), [
    ("Function", "api", "_", "FunctionApi"),
    ("Role", "my_controller2", "_", "RoleMyController2"),
    ("Role", "my_controller_2", "_", "Role0" + sha("my_controller_2") + "MyController2"),  # the same CamelCase
    ("Table", "user-profiles", "-", "TableUserProfiles"),
    ("QueueUrl", "job", "_", "QueueUrlJob"),  # an output kind
    ("Function", "myFn", "_", "Function0" + sha("myFn") + "MyFn"),
    ("Function", "a__b", "_", "Function0" + sha("a__b") + "AB"),
    ("Function", "_a", "_", "Function0" + sha("_a") + "A"),
    ("Function", "a_", "_", "Function0" + sha("a_") + "A"),
    ("Function", "2fa", "_", "Function0" + sha("2fa") + "2fa"),
    ("Table", "user_profiles", "-", "Table0" + sha("user_profiles") + "UserProfiles"),
    ("Table", "café", "-", "Table0" + sha("café") + "Caf"),
])
def test_logical_ids_read_back_plain_names_and_digest_the_others(kind, name, separator, expected):
    assert logical_id(kind, name, separator=separator) == expected


def test_logical_ids_of_paths_always_carry_a_digest():
    assert logical_id("ApiPath", "/v1/orders/{id}", digest=True) == "ApiPathV1OrdersId" + sha("/v1/orders/{id}")
    assert logical_id("HttpRoute", "/", digest=True) == "HttpRoute" + sha("/")
    assert logical_id("ApiPath", "orders", digest=True) == "ApiPathOrders" + sha("orders")


@pytest.mark.parametrize("size", [200, 201])
def test_a_long_camel_case_is_cut_at_200_characters(size):
    name = "a" * size
    readable = "FunctionA" + "a" * (size - 1)
    expected = readable if size <= 200 else "Function0" + sha(name) + readable[len("Function"):][:200]
    assert logical_id("Function", name) == expected
    assert logical_id("ApiPath", name, digest=True) == "ApiPath" + ("A" + "a" * (size - 1))[:200] + sha(name)


def test_an_unregistered_kind_is_a_programming_error():
    with pytest.raises(ValueError) as error:
        logical_id("Widget", "x")
    assert str(error.value) == "logical id kind 'Widget' is not registered in tight_tasks.deploy.parts.KINDS"


# -- tables ------------------------------------------------------------------------------

def spec(table: str, **more) -> dict:
    return {"TableName": table, "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST", **more}


def make_app(functions: dict | None = None, tables=("accounts",), stage: str = "dev", **more) -> App:
    """An app named ``shop`` whose models ``tables`` have the tables ``shop-<stage>-<model>``."""
    functions = functions or {}
    return App(name="shop", stage=stage, runtime="python3.12", architecture="arm64",
               environment={"NAME": "shop", "STAGE": stage}, tables=[spec(f"shop-{stage}-{t}") for t in tables],
               functions=function_settings({"functions": functions}, list(functions)),
               model_tables={t: f"shop-{stage}-{t}" for t in tables}, **more)


@pytest.mark.parametrize(("table", "prefix", "expected"), [
    ("shop-dev-accounts", "shop-dev-", "TableAccounts"),
    ("shop-dev-user-profiles", "shop-dev-", "TableUserProfiles"),
    ("shop-dev-", "shop-dev-", "Table0" + sha("/shop-dev-") + "ShopDev"),
    ("legacy", "shop-dev-", "Table0" + sha("/legacy") + "Legacy"),
    ("shop-dev-accounts", "", "Table0" + sha("/shop-dev-accounts") + "ShopDevAccounts"),
])
def test_table_ids_leave_out_the_stage_prefix(table, prefix, expected):
    from tight_tasks.deploy.tables import table_id

    assert table_id(table, prefix) == expected


KEPT = {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
PITR = {"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}}


@pytest.mark.parametrize(("options", "extra"), [
    ({}, PITR), ({"recovery": False}, {}), ({"protect": True}, {**PITR, "DeletionProtectionEnabled": True}),
    ({"recovery": False, "protect": True}, {"DeletionProtectionEnabled": True}),
])
def test_a_table_is_retained_with_recovery_by_default_and_protected_on_demand(options, extra):
    from tight_tasks.deploy.tables import table_parts

    given = spec("shop-dev-accounts", GlobalSecondaryIndexes=[{"IndexName": "by-email"}])
    made = table_parts(given, "shop-dev-", **options)
    assert made.resources == {"TableAccounts": {**KEPT, "Properties": {**given, **extra}}}
    assert given == spec("shop-dev-accounts", GlobalSecondaryIndexes=[{"IndexName": "by-email"}])


def test_tables_family_with_defaults_streams_and_options():
    from tight_tasks.deploy.tables import tables_family

    app = make_app({"audit": {"type": "dynamodb_stream", "table": "orders"}}, ("accounts", "orders"),
                   table_options={"shop-dev-accounts": {"point_in_time_recovery": False}})
    assert tables_family(app).resources == {
        "TableAccounts": {**KEPT, "Properties": spec("shop-dev-accounts")},
        "TableOrders": {**KEPT, "Properties": {**spec("shop-dev-orders"),
                                               "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
                                               **PITR}}}


@pytest.mark.parametrize(("protect", "stage", "protected"), [
    (["prod"], "prod", True), (["prod"], "dev", False), (None, "prod", False), ([], "prod", False),
    (["dev", "prod"], "dev", True)])
def test_tables_are_protected_on_the_stages_deploy_protect_lists(protect, stage, protected):
    from tight_tasks.deploy.tables import tables_family

    properties = tables_family(make_app(stage=stage, deploy={"protect": protect})).resources["TableAccounts"]["Properties"]
    assert properties.get("DeletionProtectionEnabled") is (True if protected else None)


def test_a_stream_keeps_the_models_own_view():
    from tight_tasks.deploy.tables import with_stream

    own = spec("t", StreamSpecification={"StreamViewType": "KEYS_ONLY"})
    assert with_stream(own) == own
    assert with_stream(spec("t", StreamSpecification={}))["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_tables_family_refuses_a_table_name_twice_and_an_unknown_stream_model():
    from tight_tasks.deploy.tables import tables_family

    twice = App(**{**make_app().__dict__, "tables": [spec("shop-dev-accounts"), spec("shop-dev-accounts")]})
    with pytest.raises(TemplateError) as error:
        tables_family(twice)
    assert str(error.value) == "two models use the table name shop-dev-accounts: give each model its own '_name'"
    for tables, known in ((("accounts", "orders"), "accounts, orders"), ((), "none")):
        with pytest.raises(TemplateError) as error:
            tables_family(make_app({"audit": {"type": "dynamodb_stream", "table": "Order"}}, tables))
        assert str(error.value) == f"function 'audit': table 'Order' is not a model of this app (models: {known})"
