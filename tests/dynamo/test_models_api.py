"""tight.dev.models (discovery, model -> table) and tight.dev.local_dynamodb (embedded engine)."""
from __future__ import annotations

import sys

import pytest
from conftest import port_is_free
from dynamo_apps import ACCOUNT, EVENT, SESSION, make_app


@pytest.fixture
def app_env(monkeypatch):
    """NAME/STAGE for importing models; app.* modules and sys.path restored afterwards."""
    monkeypatch.setenv("NAME", "my-service")
    monkeypatch.setenv("STAGE", "dev")
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(key, raising=False)
    saved_path = list(sys.path)
    yield
    sys.path[:] = saved_path
    for name in [n for n in sys.modules if n == "app" or n.startswith("app.")]:
        del sys.modules[name]


def test_discover_models_sorted_files_own_classes_only(tmp_path, app_env):
    from tight.dev.models import discover_models

    reexport = "from app.models.Account import Account\nfrom flywheel import Model\n"
    root = make_app(tmp_path / "svc", {"Session": SESSION, "Account": ACCOUNT, "Event": EVENT, "Zzz": reexport})
    models = discover_models(root)
    assert [m.__name__ for m in models] == ["Account", "Event", "Session"]
    assert [m.__module__ for m in models] == ["app.models.Account", "app.models.Event", "app.models.Session"]
    # Importing again gives the very same classes (stable module names, no second import).
    assert discover_models(root) == models


@pytest.mark.parametrize("source, reason", [
    ("from flywheel import Model\nclass Broken(Model)\n", "SyntaxError at line 2"),
    ("import os\nX = os.environ['NO_SUCH_VAR_TIGHT']\n", "KeyError: 'NO_SUCH_VAR_TIGHT'"),
    ("import no_such_module_tight\n", "ModuleNotFoundError: No module named 'no_such_module_tight'"),
])
def test_model_import_error_names_file_and_reason(tmp_path, app_env, source, reason):
    from tight.dev.models import ModelImportError, discover_models

    root = make_app(tmp_path / "svc", {"Account": ACCOUNT, "Broken": source})
    with pytest.raises(ModelImportError) as info:
        discover_models(root)
    message = str(info.value)
    assert message.startswith(str(root / "app" / "models" / "Broken.py") + ": ")
    assert reason in message
    assert "\n" not in message
    assert "app.models.Broken" not in sys.modules


def test_table_spec_covers_every_feature(tmp_path, app_env):
    from tight.dev.models import discover_models, table_spec

    event, session = discover_models(make_app(tmp_path / "svc", {"Event": EVENT, "Session": SESSION}))
    spec = table_spec(event)
    assert spec["TableName"] == "my-service-dev-events"
    assert [a["AttributeName"] for a in spec["AttributeDefinitions"]] == [
        "device", "kind", "label", "owner", "rank", "score", "ts", "user"]
    assert {a["AttributeName"]: a["AttributeType"] for a in spec["AttributeDefinitions"]}["device"] == "B"
    assert spec["KeySchema"] == [{"AttributeName": "user", "KeyType": "HASH"},
                                 {"AttributeName": "ts", "KeyType": "RANGE"}]
    assert spec["ProvisionedThroughput"] == {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3}
    local = {i["IndexName"]: i["Projection"] for i in spec["LocalSecondaryIndexes"]}
    assert local == {"by-label": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["kind"]},
                     "by-rank": {"ProjectionType": "KEYS_ONLY"}, "by-score": {"ProjectionType": "ALL"}}
    by_kind = spec["GlobalSecondaryIndexes"][0]
    assert by_kind["IndexName"] == "by-kind"
    assert by_kind["ProvisionedThroughput"] == {"ReadCapacityUnits": 4, "WriteCapacityUnits": 5}
    assert spec["TimeToLiveSpecification"] == {"AttributeName": "expires", "Enabled": True}
    assert spec["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}

    ondemand = table_spec(session)
    assert ondemand["BillingMode"] == "PAY_PER_REQUEST"
    assert "ProvisionedThroughput" not in ondemand
    assert "ProvisionedThroughput" not in ondemand["GlobalSecondaryIndexes"][0]
    assert ondemand["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


@pytest.mark.parametrize("extra, message", [
    ("'billing_mode': 'FREE',", "__metadata__['billing_mode'] is 'FREE'"),
    ("'stream': 'ALL_IMAGES',", "__metadata__['stream'] is 'ALL_IMAGES'"),
    ("'ttl': {'enabled': True},", "__metadata__['ttl'] must be"),
])
def test_bad_tight_metadata_names_model_and_file(tmp_path, app_env, extra, message):
    from tight.dev.models import ModelError, discover_models, table_spec

    source = ACCOUNT.replace("'throughput': {", extra + "\n        'throughput': {")
    (model,) = discover_models(make_app(tmp_path / "svc", {"Account": source}))
    with pytest.raises(ModelError) as info:
        table_spec(model)
    assert message in str(info.value)
    assert "Account.py: model Account" in str(info.value)


def test_embedded_dynamodb_creates_tables_and_releases_port(tmp_path, app_env):
    from tight.dev.local_dynamodb import client, create_tables, embedded_dynamodb
    from tight.dev.models import discover_models

    models = discover_models(make_app(tmp_path / "svc", {"Account": ACCOUNT, "Event": EVENT, "Session": SESSION}))
    with embedded_dynamodb(models) as endpoint:
        port = int(endpoint.rsplit(":", 1)[1])
        assert endpoint == f"http://127.0.0.1:{port}"
        assert not port_is_free(port)
        dynamodb = client(endpoint)
        assert dynamodb.list_tables()["TableNames"] == [
            "my-service-dev-accounts", "my-service-dev-events", "my-service-dev-sessions"]
        events = dynamodb.describe_table(TableName="my-service-dev-events")["Table"]
        assert {i["IndexName"] for i in events["LocalSecondaryIndexes"]} == {"by-score", "by-rank", "by-label"}
        assert {i["IndexName"] for i in events["GlobalSecondaryIndexes"]} == {"by-kind", "by-device", "by-owner"}
        assert events["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        assert dynamodb.describe_time_to_live(TableName="my-service-dev-events")["TimeToLiveDescription"] == {
            "TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
        sessions = dynamodb.describe_table(TableName="my-service-dev-sessions")["Table"]
        assert sessions["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        dynamodb.put_item(TableName="my-service-dev-accounts", Item={"id": {"S": "a1"}})
        # Creating again is harmless: existing tables are kept with their items.
        assert create_tables(endpoint, models)[0] == "my-service-dev-accounts"
        assert dynamodb.get_item(TableName="my-service-dev-accounts", Key={"id": {"S": "a1"}})["Item"]
    assert port_is_free(port)
    with embedded_dynamodb() as endpoint:
        assert client(endpoint).list_tables()["TableNames"] == [], "tables of a stopped server are forgotten"


def test_embedded_dynamodb_stops_on_error(app_env):
    from tight.dev.local_dynamodb import embedded_dynamodb

    with pytest.raises(RuntimeError, match="boom"), embedded_dynamodb() as endpoint:
        port = int(endpoint.rsplit(":", 1)[1])
        raise RuntimeError("boom")
    assert port_is_free(port)


def test_flywheel_follows_aws_endpoint_url_dynamodb(tmp_path, app_env, monkeypatch):
    from flywheel import Engine

    from tight.dev.local_dynamodb import DUMMY_CREDENTIALS, embedded_dynamodb
    from tight.dev.models import discover_models

    (account,) = discover_models(make_app(tmp_path / "svc"))
    with embedded_dynamodb([account]) as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", DUMMY_CREDENTIALS["aws_access_key_id"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", DUMMY_CREDENTIALS["aws_secret_access_key"])
        engine = Engine()
        engine.connect_to_region("us-east-1")
        engine.register(account)
        engine.save(account("a1"))
        assert engine.get(account, id="a1").id == "a1"


def test_engine_refusal_is_a_dynamodb_error(app_env):
    from tight.dev.local_dynamodb import (
        DynamoDBError,
        create_tables,
        embedded_dynamodb,
    )

    bad = {"TableName": "t", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
           "AttributeDefinitions": [{"AttributeName": "other", "AttributeType": "S"}],
           "BillingMode": "PAY_PER_REQUEST"}
    with embedded_dynamodb() as endpoint, pytest.raises(DynamoDBError) as info:
        create_tables(endpoint, [bad])
    assert "cannot create table t" in str(info.value)


def test_listen_url():
    from tight.dev.local_dynamodb import listen_url

    assert listen_url("127.0.0.1", 8000) == "http://127.0.0.1:8000"
    assert listen_url("0.0.0.0", 8000) == "http://127.0.0.1:8000"
    assert listen_url("::", 8000) == "http://[::1]:8000"
    assert listen_url("localhost", 9) == "http://localhost:9"
