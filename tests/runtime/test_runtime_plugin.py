"""The pytest plugin, end to end: pytest runs on hand-built tight apps in subprocesses."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import clean_env
from runtime_helpers import ACCOUNT_MODEL, GENERATED_HANDLER, make_app, write

GENERATED_TEST = '''\
import os, json
here = os.path.dirname(os.path.realpath(__file__))
from tight.dev.test_helpers import playback, record, expected_response_body


def test_get_method(app, dynamo_db_session):
    playback(__file__, dynamo_db_session, test_get_method.__name__)
    context = {}
    event = {
        'httpMethod': 'GET'
    }
    actual_response = app.my_controller(event, context)
    actual_response_body = json.loads(actual_response['body'])
    expected_response = expected_response_body(here, 'expectations/test_get_method.yml', actual_response)
    assert actual_response['statusCode'] == 200, 'The response statusCode is 200'
    assert actual_response_body == expected_response, 'Expected response body matches the actual response body.'
'''

GENERATED_EXPECTATION = ("body: '{\"hello\":\"world\"}'\nheaders: {Access-Control-Allow-Origin: '*', Content-Type: application/json}\n"
                         "statusCode: 200\n")

ACCOUNTS_HANDLER = '''\
import datetime

from tight.providers.aws.clients import dynamo_db
import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy
from app.models.Account import Account

db = dynamo_db.connect()
db.register(Account)
CREATED = datetime.datetime(2024, 2, 29, 12, 30, 15, 123456, tzinfo=datetime.timezone.utc)


@lambda_proxy.post
def create(*args, body=None, **kwargs):
    if not body or 'id' not in body:
        lambda_proxy.exit_with_response(400, {'message': 'id is required'})
    db.save(Account(body['id'], CREATED))
    return {'statusCode': 201, 'body': {'id': body['id']}}


@lambda_proxy.get
def index(*args, **kwargs):
    accounts = sorted(db.scan(Account).all(), key=lambda account: account.id)
    return {'statusCode': 200, 'body': {'accounts': [{'id': a.id, 'created': a.created.isoformat()} for a in accounts]}}
'''

ACCOUNTS_TEST = '''\
import json
import os

import botocore.exceptions
from tight.dev.test_helpers import expected_response_body, playback
from tight.providers.aws.clients import dynamo_db

here = os.path.dirname(os.path.realpath(__file__))


def test_write_and_scan(app, dynamo_db_session):
    playback(__file__, dynamo_db_session, test_write_and_scan.__name__)
    created = app.accounts({'httpMethod': 'POST', 'body': json.dumps({'id': 'a1'})}, {})
    assert created['statusCode'] == 201, created
    assert app.accounts({'httpMethod': 'POST', 'body': '{}'}, {})['statusCode'] == 400
    response = app.accounts({'httpMethod': 'GET'}, {})
    assert response['statusCode'] == 200, response
    body = json.loads(response['body'])
    assert body == {'accounts': [{'id': 'a1', 'created': '2024-02-29T12:30:15.123456+00:00'}]}
    assert body == expected_response_body(here, 'expectations/test_write_and_scan.yml', response)


def test_zz_tape_is_detached_afterwards(tight_recording):
    """No tape here: the call goes to the real endpoint (the engine when recording; nothing otherwise)."""
    try:
        dynamo_db.client().list_tables()
    except botocore.exceptions.BotoCoreError:
        assert not tight_recording
    else:
        assert tight_recording
'''

APP_CONFTEST_DB = '''\
import pytest


@pytest.fixture(autouse=True)
def _database(request, tight_recording):
    """Record against the embedded engine; play back with no database at all."""
    if tight_recording:
        request.getfixturevalue('local_dynamodb')
'''

INTEGRATION = Path("tests/functions/integration")


def pytest_in(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=cwd, capture_output=True, text=True, env=clean_env(**env), timeout=300, check=False)


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Path:
    """An app with the generated my_controller and an accounts function using a model."""
    root = tmp_path_factory.mktemp("my_service")
    return make_app(
        root,
        functions={"my_controller": GENERATED_HANDLER, "accounts": ACCOUNTS_HANDLER},
        models={"Account": ACCOUNT_MODEL},
        files={
            INTEGRATION / "my_controller" / "test_integration_my_controller.py": GENERATED_TEST,
            INTEGRATION / "accounts" / "test_integration_accounts.py": ACCOUNTS_TEST,
            "tests/conftest.py": APP_CONFTEST_DB,
        },
    )


def test_record_against_embedded_engine_then_play_back_offline(service):
    recorded = pytest_in(service, "--tight-record")
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert "3 passed" in recorded.stdout

    tapes = service / INTEGRATION / "accounts" / "placebos" / "test_write_and_scan"
    assert sorted(p.name for p in tapes.iterdir()) == ["dynamodb.BatchWriteItem_1.json", "dynamodb.Scan_1.json"]
    scan = json.loads((tapes / "dynamodb.Scan_1.json").read_text())
    assert scan["data"]["Items"][0]["id"] == {"S": "a1"}
    assert (service / INTEGRATION / "my_controller" / "placebos" / "test_get_method").is_dir()
    expectation = service / INTEGRATION / "my_controller" / "expectations" / "test_get_method.yml"
    assert expectation.read_text() == GENERATED_EXPECTATION
    written = (service / INTEGRATION / "accounts" / "expectations" / "test_write_and_scan.yml").read_text()
    assert "2024-02-29T12:30:15.123456+00:00" in written

    # no engine, no AWS_* settings or credentials, no ~/.aws: the tapes answer everything
    played = pytest_in(service, HOME=str(service / "no-home"), AWS_EC2_METADATA_DISABLED="true")
    assert played.returncode == 0, played.stdout + played.stderr
    assert "3 passed" in played.stdout
    assert scan == json.loads((tapes / "dynamodb.Scan_1.json").read_text()), "playback must not rewrite tapes"


def test_a_profile_this_machine_lacks_stops_neither_record_nor_playback(service):
    shell = {"AWS_PROFILE": "no-such-profile", "AWS_REGION": "localhost", "HOME": str(service / "no-home"),
             "AWS_EC2_METADATA_DISABLED": "true"}
    recorded = pytest_in(service, "--tight-record", **shell)
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert "3 passed" in recorded.stdout
    played = pytest_in(service, **shell)
    assert played.returncode == 0, played.stdout + played.stderr
    assert "3 passed" in played.stdout


def test_playback_catches_a_changed_response(service, tmp_path):
    expectation = service / INTEGRATION / "my_controller" / "expectations" / "test_get_method.yml"
    write(expectation, GENERATED_EXPECTATION.replace("world", "there"))
    try:
        result = pytest_in(service, str(INTEGRATION / "my_controller"), AWS_EC2_METADATA_DISABLED="true")
    finally:
        write(expectation, GENERATED_EXPECTATION)
    assert result.returncode == 1
    assert "Expected response body matches the actual response body" in result.stdout
    # The failure names what the test played back and the command that records it again
    test_id = f"{(INTEGRATION / 'my_controller' / 'test_integration_my_controller.py').as_posix()}::test_get_method"
    assert (f"This test played back {INTEGRATION / 'my_controller' / 'placebos' / 'test_get_method'}, "
            f"{INTEGRATION / 'my_controller' / 'expectations' / 'test_get_method.yml'}. If the app's new behaviour "
            f"is right, record them again with `pytest --tight-record {test_id}` (or TIGHT_RECORD=1), review the "
            "diff and commit it.") in result.stdout


def test_tight_record_environment_variable_records(tmp_path):
    root = make_app(tmp_path, functions={"my_controller": GENERATED_HANDLER},
                    files={INTEGRATION / "my_controller" / "test_integration_my_controller.py": GENERATED_TEST})
    result = pytest_in(root, TIGHT_RECORD="1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (root / INTEGRATION / "my_controller" / "expectations" / "test_get_method.yml").read_text() == \
        GENERATED_EXPECTATION


FIXTURES_TEST = '''\
import os
import sys


def test_environment_and_path(tight_app_root):
    assert (os.environ["NAME"], os.environ["STAGE"], os.environ["CI"]) == ("my-service", "dev", "false")
    assert str(tight_app_root) in sys.path
    assert (tight_app_root / "tight.yml").is_file()


def test_app_fixture(app, tight_app_root):
    assert app.__file__ == str(tight_app_root / "app_index.py")
    assert app.my_controller({"httpMethod": "GET"}, {})["body"] == '{"hello":"world"}'


def test_event_fixture_is_a_rest_proxy_event(app, event):
    assert event["httpMethod"] == "GET" and event["requestContext"]["stage"] == "dev"
    event["httpMethod"] = "OPTIONS"
    assert app.my_controller(event, {})["statusCode"] == 405


def test_event_fixture_is_fresh_each_time(event):
    assert event["httpMethod"] == "GET"


def test_dynamo_db_session_is_the_engines(dynamo_db_session):
    from tight.providers.aws.clients import dynamo_db
    assert dynamo_db_session is dynamo_db.session()
    assert hasattr(dynamo_db_session, "events")


def test_local_dynamodb_has_the_model_tables(local_dynamodb):
    from tight.providers.aws.clients import dynamo_db
    assert os.environ["AWS_ENDPOINT_URL_DYNAMODB"] == local_dynamodb
    engine = dynamo_db.connect()
    assert engine.dynamo.client.meta.endpoint_url == local_dynamodb
    assert list(engine.dynamo.list_tables()) == ["my-service-dev-accounts"]
'''


def test_fixtures_from_a_subdirectory(tmp_path):
    root = make_app(tmp_path, functions={"my_controller": GENERATED_HANDLER}, models={"Account": ACCOUNT_MODEL},
                    files={"tests/test_fixtures.py": FIXTURES_TEST})
    result = pytest_in(root / "tests")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout


def test_model_import_error_is_reported(tmp_path):
    root = make_app(tmp_path, models={"Broken": "raise RuntimeError('boom in model')\n"},
                    files={"tests/test_db.py": "def test_db(local_dynamodb):\n    pass\n"})
    result = pytest_in(root)
    assert result.returncode == 1
    assert "Broken.py: RuntimeError: boom in model" in result.stdout


def test_malformed_env_file_is_a_usage_error(tmp_path):
    root = make_app(tmp_path, files={"tests/test_nothing.py": "def test_nothing():\n    pass\n"})
    write(root / "env.dist.yml", "CI: [unclosed\n")
    result = pytest_in(root)
    assert result.returncode == 4
    assert "env.dist.yml: line" in result.stderr
    assert "Traceback" not in result.stderr


INERT_TEST = '''\
import os
import sys


def test_plugin_did_nothing(request):
    assert request.config.pluginmanager.has_plugin("tight")
    assert "NAME" not in os.environ and "STAGE" not in os.environ
    heavy = {"boto3", "botocore", "flywheel", "placebo", "moto", "yaml", "jinja2", "invoke",
             "tight_tasks", "tight.dev.env", "tight.dev.test_helpers"}
    assert heavy.isdisjoint(sys.modules), heavy.intersection(sys.modules)
'''


def test_plugin_is_inert_outside_an_app(tmp_path):
    write(tmp_path / "test_inert.py", INERT_TEST)
    env = {k: v for k, v in clean_env().items() if k not in ("NAME", "STAGE")}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=tmp_path,
                            capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    help_text = subprocess.run([sys.executable, "-m", "pytest", "--help"], cwd=tmp_path, capture_output=True,
                               text=True, env=env, timeout=120, check=False).stdout
    assert "--tight-record" in help_text


def test_generated_app_records_and_plays_back(tight, tmp_path):
    """The real generator's output and this runtime agree (generate.app, .function, .model)."""
    created = tight("generate.app", "my_service", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    root = tmp_path / "my_service"
    for args in (("generate.function", "my_controller"), ("generate.model", "account")):
        result = tight(*args, cwd=root)
        assert result.returncode == 0, result.stdout + result.stderr
    write(root / "tests" / "conftest.py", APP_CONFTEST_DB)
    write(root / "tests" / "test_tables.py", '''\
        from tight.dev.test_helpers import playback
        from tight.providers.aws.clients import dynamo_db


        def test_tables(dynamo_db_session):
            playback(__file__, dynamo_db_session, test_tables.__name__)
            assert list(dynamo_db.connect().dynamo.list_tables()) == ["my-service-dev-accounts"]
        ''')
    expectation = root / INTEGRATION / "my_controller" / "expectations" / "test_get_method.yml"
    assert expectation.read_text() == GENERATED_EXPECTATION

    expectation.write_text(GENERATED_EXPECTATION.replace("world", "there"))
    changed = pytest_in(root, AWS_EC2_METADATA_DISABLED="true")
    assert changed.returncode == 1
    assert ("AssertionError: The response body differs from expectations/test_get_method.yml (intended? run "
            "pytest --tight-record)") in changed.stdout
    assert "record them again with `pytest --tight-record tests/functions/integration/my_controller/" in changed.stdout

    recorded = pytest_in(root, "--tight-record")
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert "3 passed" in recorded.stdout
    assert expectation.read_text() == GENERATED_EXPECTATION
    assert (root / "tests" / "placebos" / "test_tables" / "dynamodb.ListTables_1.json").is_file()

    played = pytest_in(root, HOME=str(tmp_path / "no-home"), AWS_EC2_METADATA_DISABLED="true")
    assert played.returncode == 0, played.stdout + played.stderr
    assert "3 passed" in played.stdout
