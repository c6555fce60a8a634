"""tight.dev.test_helpers: run mode, tapes, expectations, record/playback against a real engine."""
from __future__ import annotations

import pytest
from botocore.exceptions import BotoCoreError
from runtime_helpers import write

from tight.dev import test_helpers
from tight.dev.local_dynamodb import embedded_dynamodb
from tight.providers.aws.clients import dynamo_db

GENERATED_EXPECTATION = "body: '{\"hello\":\"world\"}'\nheaders: {Access-Control-Allow-Origin: '*'}\nstatusCode: 200\n"
RESPONSE = {"statusCode": 200, "headers": {"Access-Control-Allow-Origin": "*"}, "body": '{"hello":"world"}'}


@pytest.fixture
def mode(monkeypatch):
    """Set the run mode for one test; the plugin's state is restored afterwards."""
    monkeypatch.delenv("TIGHT_RECORD", raising=False)
    saved = test_helpers._run_mode
    yield test_helpers.set_record_mode
    test_helpers._run_mode = saved


@pytest.mark.parametrize("value, recording", [("1", True), ("true", True), ("YES", True), ("0", False),
                                              ("", False), ("false", False)])
def test_tight_record_environment_variable(mode, monkeypatch, value, recording):
    mode(None)
    monkeypatch.setenv("TIGHT_RECORD", value)
    assert test_helpers.is_recording() is recording


def test_plugin_mode_wins_over_the_environment(mode, monkeypatch):
    monkeypatch.setenv("TIGHT_RECORD", "1")
    mode(False)
    assert not test_helpers.is_recording()
    mode(True)
    monkeypatch.setenv("TIGHT_RECORD", "0")
    assert test_helpers.is_recording()


def test_tape_dir_is_created_beside_the_test(tmp_path):
    test_file = write(tmp_path / "tests" / "test_x.py", "")
    path = test_helpers.tape_dir(str(test_file), "test_get_method")
    assert path == tmp_path / "tests" / "placebos" / "test_get_method"
    assert path.is_dir()


@pytest.mark.parametrize("name", ["../escape", "a/b", "", ".."])
def test_tape_names_cannot_escape(tmp_path, name):
    with pytest.raises(ValueError, match="invalid tape name"):
        test_helpers.tape_dir(str(tmp_path / "test_x.py"), name)


def test_expected_body_in_playback_reads_the_generated_expectation(tmp_path, mode):
    mode(False)
    write(tmp_path / "expectations" / "test_get_method.yml", GENERATED_EXPECTATION)
    assert test_helpers.expected_response_body(str(tmp_path), "expectations/test_get_method.yml",
                                               {"body": "ignored"}) == {"hello": "world"}


def test_expected_body_in_playback_without_file_says_how_to_record(tmp_path, mode):
    mode(False)
    with pytest.raises(FileNotFoundError, match="--tight-record"):
        test_helpers.expected_response_body(str(tmp_path), "expectations/missing.yml", RESPONSE)
    assert not (tmp_path / "expectations").exists()


def test_expected_body_in_record_mode_writes_the_generated_format(tmp_path, mode):
    mode(True)
    target = tmp_path / "expectations" / "test_get_method.yml"
    write(target, "body: '{\"stale\":true}'\n")
    assert test_helpers.expected_response_body(str(tmp_path), "expectations/test_get_method.yml",
                                               RESPONSE) == {"hello": "world"}
    assert target.read_text() == GENERATED_EXPECTATION
    assert [p.name for p in target.parent.iterdir()] == ["test_get_method.yml"]  # no temp files left


@pytest.fixture
def engine_env(fresh):
    """No credentials, no metadata service; a fresh engine, the previous one restored after."""
    yield fresh
    test_helpers.stop()


def _put_and_get(client):
    client.put_item(TableName="tapes", Item={"id": {"S": "k"}, "n": {"N": "42"}})
    return client.get_item(TableName="tapes", Key={"id": {"S": "k"}})["Item"]


def test_record_then_playback_offline(tmp_path, engine_env, mode):
    test_file = str(tmp_path / "test_tapes.py")
    with embedded_dynamodb() as endpoint:
        engine_env.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
        client = dynamo_db.client()  # created before the tape is attached, as in a handler module
        client.create_table(TableName="tapes", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                            BillingMode="PAY_PER_REQUEST")
        mode(False)
        test_helpers.record(test_file, dynamo_db.session(), "test_round_trip")  # record() ignores the run mode
        assert _put_and_get(client) == {"id": {"S": "k"}, "n": {"N": "42"}}
        test_helpers.stop()
    tapes = sorted(p.name for p in (tmp_path / "placebos" / "test_round_trip").iterdir())
    assert tapes == ["dynamodb.GetItem_1.json", "dynamodb.PutItem_1.json"]

    # engine stopped, no credentials, the endpoint gone: only the tape can answer
    engine_env.delenv("AWS_ENDPOINT_URL_DYNAMODB")
    dynamo_db.forget()
    client = dynamo_db.client()
    assert dynamo_db.session().get_credentials() is None
    test_helpers.playback(test_file, dynamo_db.session(), "test_round_trip")
    assert _put_and_get(client) == {"id": {"S": "k"}, "n": {"N": "42"}}

    # after stop() the tape no longer answers: the call really goes out and fails
    test_helpers.stop()
    with pytest.raises(BotoCoreError):
        client.get_item(TableName="tapes", Key={"id": {"S": "k"}})


def test_playback_in_a_recording_run_records_afresh(tmp_path, engine_env, mode):
    test_file = str(tmp_path / "test_tapes.py")
    stale = write(tmp_path / "placebos" / "test_again" / "dynamodb.ListTables_1.json", '{"stale": true}')
    write(tmp_path / "placebos" / "test_again" / "notes.txt", "kept")
    with embedded_dynamodb() as endpoint:
        engine_env.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
        client = dynamo_db.client()
        mode(True)
        test_helpers.playback(test_file, dynamo_db.session(), "test_again")
        assert client.list_tables()["TableNames"] == []
        test_helpers.stop()
    assert '"stale"' not in stale.read_text()
    assert sorted(p.name for p in stale.parent.iterdir()) == ["dynamodb.ListTables_1.json", "notes.txt"]


def test_playback_of_a_missing_tape_fails(tmp_path, engine_env, mode):
    mode(False)
    client = dynamo_db.client()
    test_helpers.playback(str(tmp_path / "test_x.py"), dynamo_db.session(), "test_nothing_recorded")
    with pytest.raises(OSError, match="response file"):
        client.list_tables()
