"""tight.providers.aws.clients.dynamo_db: the cached engine, its settings, datetime fields."""
from __future__ import annotations

import datetime
import decimal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import REPO, clean_env, find_python, make_venv

from tight.dev.local_dynamodb import embedded_dynamodb
from tight.providers.aws.clients import dynamo_db

UTC = datetime.timezone(datetime.timedelta(0))  # datetime.UTC needs Python 3.11




@pytest.fixture(scope="module")
def endpoint():
    with embedded_dynamodb() as url:
        yield url


def test_connect_is_cached_and_needs_nothing(fresh):
    engine = dynamo_db.connect()
    assert dynamo_db.connect() is engine
    assert dynamo_db._engine is None and "not connected" in repr(engine)  # connects on first use
    assert engine.dynamo.client.meta.region_name == "us-east-1"
    assert engine.dynamo.client.meta.endpoint_url == "https://dynamodb.us-east-1.amazonaws.com"
    assert dynamo_db.session().get_credentials() is None


def test_region_and_endpoint_from_environment(fresh, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert dynamo_db.connect().dynamo.client.meta.region_name == "eu-west-1"
    dynamo_db.forget()
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8123")
    client = dynamo_db.client()
    assert (client.meta.region_name, client.meta.endpoint_url) == ("ap-south-1", "http://127.0.0.1:8123")


@pytest.mark.parametrize("url, local", [
    ("http://127.0.0.1:8000", True), ("http://localhost:8000", True), ("http://[::1]:8000", True),
    ("http://dynamodb.localhost:8000", True), ("http://0.0.0.0:8000", True),
    ("https://dynamodb.eu-west-1.amazonaws.com", False), ("http://10.0.0.5:8000", False), (None, False),
])
def test_is_local(url, local):
    assert dynamo_db.is_local(url) is local


def test_local_endpoint_gets_dummy_credentials(fresh, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://localhost:8000")
    credentials = dynamo_db.session().get_credentials()
    assert (credentials.access_key, credentials.secret_key) == dynamo_db.DUMMY_CREDENTIALS


def test_local_endpoint_keeps_credentials_from_the_shell(fresh, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://localhost:8000")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMSHELL")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    assert dynamo_db.session().get_credentials().access_key == "AKIDFROMSHELL"


def test_remote_endpoint_gets_no_dummy_credentials(fresh, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "https://dynamodb.eu-west-1.amazonaws.com")
    assert dynamo_db.session().get_credentials() is None


def test_local_endpoint_ignores_a_profile_this_machine_lacks(fresh, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://localhost:8000")
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    credentials = dynamo_db.session().get_credentials()
    assert (credentials.access_key, credentials.secret_key) == dynamo_db.DUMMY_CREDENTIALS


def test_remote_endpoint_reports_a_missing_profile_unless_testing(fresh, monkeypatch):
    from botocore.exceptions import ProfileNotFound

    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    engine = dynamo_db.connect()  # a stand-in: nothing connects yet
    with pytest.raises(ProfileNotFound):
        engine.dynamo  # noqa: B018 - first use connects
    with pytest.raises(ProfileNotFound):
        dynamo_db.engine()
    monkeypatch.setattr(dynamo_db, "profile_optional", True)  # what the pytest plugin sets in an app
    assert dynamo_db.session().get_credentials().access_key == dynamo_db.DUMMY_CREDENTIALS[0]


def test_reset_repoints_the_same_engine(fresh, monkeypatch, endpoint):
    engine = dynamo_db.connect()
    old_session = dynamo_db.session()
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
    dynamo_db.reset()
    assert dynamo_db.connect() is engine
    assert dynamo_db.session() is not old_session
    assert engine.dynamo.client.meta.endpoint_url == endpoint
    assert engine.dynamo.list_tables() is not None  # really talks to the embedded engine


def test_reset_without_engine_does_nothing(fresh):
    dynamo_db.reset()
    assert dynamo_db._engine is None


# -- datetime fields -------------------------------------------------------------------

def _model_classes():
    from flywheel import Field, Model
    from flywheel.fields.types import DateTimeType

    class Event(Model):
        __metadata__: ClassVar[dict] = {"_name": "tight-test-events", "throughput": {"read": 1, "write": 1}}
        id = Field(type=str, hash_key=True)
        at = Field(type=datetime.datetime)
        naive = Field(data_type=DateTimeType(naive=True))
        day = Field(type=datetime.date)

    return Event


VALUES = [
    datetime.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
    datetime.datetime(2001, 9, 9, 1, 46, 40, tzinfo=UTC),
    datetime.datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
    datetime.datetime(1900, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
]


@pytest.mark.parametrize("value", VALUES, ids=str)
def test_datetime_dump_load_is_exact(value):
    from flywheel.fields.types import DateTimeType, DateType

    dynamo_db.patch_flywheel()
    aware, naive = DateTimeType(), DateTimeType(naive=True)
    stored = aware.ddb_dump(value)
    assert isinstance(stored, decimal.Decimal)
    since = value - datetime.datetime(1970, 1, 1, tzinfo=UTC)
    assert stored == decimal.Decimal(since.days * 86400 + since.seconds) + decimal.Decimal(since.microseconds) / 10**6
    assert aware.ddb_load(stored) == value
    assert naive.ddb_load(stored) == value.replace(tzinfo=None)
    assert DateType().ddb_load(DateType().ddb_dump(value.date())) == value.date()


def test_other_timezones_are_stored_as_utc():
    from flywheel.fields.types import DateTimeType

    dynamo_db.patch_flywheel()
    plus_two = datetime.datetime(2024, 1, 1, 2, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    loaded = DateTimeType().ddb_load(DateTimeType().ddb_dump(plus_two))
    assert loaded == plus_two
    assert loaded.utcoffset() == datetime.timedelta(0)


def test_datetime_fields_round_trip_through_dynamodb(fresh, monkeypatch, endpoint):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
    engine = dynamo_db.connect()
    event_model = _model_classes()
    engine.register(event_model)
    engine.create_schema()
    try:
        for i, value in enumerate(VALUES):
            engine.save(event_model(id=str(i), at=value, naive=value.replace(tzinfo=None), day=value.date()))
        loaded = {item.id: item for item in engine.scan(event_model).all()}
        for i, value in enumerate(VALUES):
            item = loaded[str(i)]
            assert (item.at, item.naive, item.day) == (value, value.replace(tzinfo=None), value.date())
        assert engine.get(event_model, id="0").at == VALUES[0]
    finally:
        engine.delete_schema()


def test_a_one_key_get_is_one_get_item_and_a_key_list_still_a_batch(fresh, monkeypatch, endpoint):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
    engine = dynamo_db.connect()
    event_model = _model_classes()
    engine.register(event_model)
    engine.create_schema()
    calls = []
    dynamo_db.client().meta.events.register("before-call.dynamodb", lambda model, **kw: calls.append(model.name))
    try:
        engine.save(event_model(id="café", at=VALUES[1]))
        calls.clear()
        found = engine.get(event_model, id="café")
        missing = engine.get(event_model, id="nobody")
        assert (found.id, found.at, found.persisted_, missing) == ("café", VALUES[1], True, None)
        assert calls == ["GetItem", "GetItem"]
        found.at = VALUES[0]
        found.sync()  # a loaded item is tracked as flywheel's own would be: an update of what changed
        assert engine.get(event_model, id="café", consistent=True).at == VALUES[0]
        calls.clear()
        assert [item.id for item in engine.get(event_model, ["café", "nobody"])] == ["café"]
        assert calls == ["BatchGetItem"]
    finally:
        engine.delete_schema()


def test_loading_an_item_leaves_the_state_flywheels_own_load_leaves():
    from flywheel import Composite, Engine, Field, Model
    from flywheel.models import Model as Base

    from tight.providers.aws.clients import flywheel_fix

    flywheel_fix.patch()
    flywheels = Base.__dict__["ddb_load_"].__func__._tight_original.__func__  # the patched loader keeps flywheel's

    class Order(Model):
        __metadata__: ClassVar[dict] = {"_name": "tight-test-orders"}
        user = Field(type=str, hash_key=True)
        at = Field(type=int, range_key=True)
        tags = Field(type=set)
        extra = Field(type=dict)
        items = Field(type=list)
        at_time = Field(type=datetime.datetime)
        note = Field(type=str, default="none")
        score = Field(type=float)
        both = Composite("user", "note")

    class Hooked(Order):  # overrides a step: flywheel's own load is used
        def post_load_(self, engine):
            super().post_load_(engine)
            self.hooked = True

    engine = Engine()
    engine.register(Order, Hooked)
    data = {"user": "café", "at": decimal.Decimal(3), "tags": {"a", "b"}, "extra": {"k": [1, 2]}, "items": ["x"],
            "at_time": decimal.Decimal("1700000000.25"), "score": decimal.Decimal("2.5"), "undeclared": "ignored",
            "both": "café:none"}
    for model in (Order, Hooked):
        for loaded in (data, {"user": "x", "at": decimal.Decimal(1)}):
            fast, slow = model.ddb_load_(engine, dict(loaded)), flywheels(model, engine, dict(loaded))
            assert type(fast) is model and vars(fast) == vars(slow), (vars(fast), vars(slow))
            assert fast.both == slow.both and fast.persisted_ and fast.__engine__ is engine
            assert fast.__cache__ is not fast.__dict__ and (fast.__cache__.get("tags") is not fast.tags or
                                                           not fast.tags)
    loaded = Order.ddb_load_(engine, data)
    loaded.tags.add("c")
    loaded.note = "changed"
    assert loaded.__dirty__ == {"note", "both"} and loaded.cached_("tags") == {"a", "b"}
    assert Hooked.ddb_load_(engine, data).hooked is True


ROUND_TRIP = textwrap.dedent("""
    import datetime, os, sys
    sys.path.insert(0, os.environ["TIGHT_REPO"])
    from flywheel import Field, Model
    from tight.providers.aws.clients import dynamo_db

    class Stamp(Model):
        __metadata__ = {"_name": "tight-py%d%d-stamps" % sys.version_info[:2]}
        id = Field(type=str, hash_key=True)
        at = Field(type=datetime.datetime)
        day = Field(type=datetime.date)

    engine = dynamo_db.connect()
    engine.register(Stamp)
    engine.create_schema()
    value = datetime.datetime(2024, 2, 29, 12, 30, 15, 123456, tzinfo=datetime.timezone.utc)
    engine.save(Stamp(id="a", at=value, day=value.date()))
    item = engine.get(Stamp, id="a")
    assert (item.at, item.day) == (value, value.date()), (item.at, item.day)

    import tight.dev.test_helpers  # noqa: F401 - the whole runtime imports on this Python
    import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy
    import tight.providers.aws.lambda_app.app  # noqa: F401

    def get_handler(**kwargs):
        return {"statusCode": 200, "body": {"at": item.at}}

    get_handler.__module__ = "app.functions.stamps.handler"
    lambda_proxy.get(get_handler)
    response = lambda_proxy.dispatch("stamps", {"httpMethod": "GET"}, None)
    assert response["body"] == '{"at":"2024-02-29T12:30:15.123456+00:00"}', response
    print("ok %d.%d" % sys.version_info[:2])
""")


@pytest.fixture(scope="session")
def flywheel_python(tmp_path_factory):
    """``flywheel_python("3.10")``: a venv python with just flywheel and boto3 (the runtime's needs)."""
    made: dict[str, str] = {}

    def make(version: str) -> str:
        if version not in made:
            python = find_python(version)
            if python is None:
                pytest.skip(f"Python {version} is not installed on this machine")
            target = tmp_path_factory.mktemp(f"flywheel{version}")
            installed = make_venv(python, target, "flywheel==0.5.4", "boto3")
            if installed.returncode != 0:  # no package index reachable: nothing to test with
                pytest.skip(f"cannot install flywheel for Python {version}: {installed.stderr.strip()[-300:]}")
            made[version] = str(target / "bin" / "python")
        return made[version]

    return make


@pytest.mark.parametrize("version", ["3.10", "3.11", "3.12", "3.13"])
def test_datetime_round_trip_on_every_lambda_python(version, flywheel_python, endpoint):
    python = sys.executable if version == "{}.{}".format(*sys.version_info[:2]) else flywheel_python(version)
    env = clean_env(TIGHT_REPO=str(REPO), AWS_ENDPOINT_URL_DYNAMODB=endpoint)
    result = subprocess.run([python, "-W", "error::DeprecationWarning:flywheel.fields.types", "-c", ROUND_TRIP],
                            capture_output=True, text=True, env=env, timeout=120, check=False, cwd=Path(REPO).parent)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == f"ok {version}"
