"""tight dynamo.rundb: a local DynamoDB with the app's tables, served until a signal."""
from __future__ import annotations

import os
import signal
import socket
import sys
import time

import pytest
from conftest import clean_env, free_port, port_is_free
from dynamo_apps import (
    ACCOUNT,
    EVENT,
    Rundb,
    build_stub_jar,
    make_app,
    pid_alive,
)


def dynamodb_client(monkeypatch, endpoint: str):
    """A boto3 client that finds the engine only through AWS_ENDPOINT_URL_DYNAMODB."""
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x",
                                 region_name="us-east-1").client("dynamodb")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_rundb_serves_the_tables_until_a_signal(tmp_path, monkeypatch, sig):
    app = make_app(tmp_path / "svc")
    port = free_port()
    run = Rundb(app, "--port", str(port), "--engine", "embedded")
    banner = run.banner()
    assert "This engine has the following tables ['my-service-dev-accounts']" in banner
    assert f"Endpoint:   http://127.0.0.1:{port}" in banner
    assert f"Port:       {port}" in banner and "InMemory:   true" in banner
    assert f"export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:{port}" in banner

    dynamodb = dynamodb_client(monkeypatch, f"http://127.0.0.1:{port}")
    assert dynamodb.list_tables()["TableNames"] == ["my-service-dev-accounts"]
    dynamodb.put_item(TableName="my-service-dev-accounts", Item={"id": {"S": "a1"}, "n": {"N": "2"}})
    assert dynamodb.get_item(TableName="my-service-dev-accounts", Key={"id": {"S": "a1"}})["Item"]["n"] == {"N": "2"}

    code, out, err = run.stop(sig)
    assert code == 0, err
    assert "Stopped DynamoDB" in out
    assert "Traceback" not in err
    assert port_is_free(port)


def test_auto_engine_is_embedded_without_an_installed_jar(tmp_path):
    app = make_app(tmp_path / "svc", {"Account": ACCOUNT, "Event": EVENT})
    run = Rundb(app, "--port", str(free_port()))
    banner = run.banner()
    assert "Engine:     embedded" in banner
    assert "['my-service-dev-accounts', 'my-service-dev-events']" in banner
    assert run.stop()[0] == 0


def test_rundb_needs_env_yml(tight, tmp_path):
    app = make_app(tmp_path / "svc", env=None)
    result = tight("dynamo.rundb", "--port", str(free_port()), cwd=app)
    assert result.returncode == 1
    assert "env.yml" in result.stderr and "tight generate.env" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_port_in_use_is_one_line_before_anything_starts(tight, tmp_path):
    app = make_app(tmp_path / "svc")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = tight("dynamo.rundb", "--port", str(port), cwd=app)
    assert result.returncode == 1
    assert f"Port {port}" in result.stderr and "already in use" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Initializing" not in result.stdout


def test_broken_model_names_file_and_reason_before_the_engine_starts(tight, tmp_path):
    app = make_app(tmp_path / "svc", {"Account": ACCOUNT,
                                      "Broken": "from flywheel import Model\nclass Broken(Model)\n  pass\n"})
    port = free_port()
    result = tight("dynamo.rundb", "--port", str(port), cwd=app)
    assert result.returncode == 1
    assert "Broken.py" in result.stderr and "SyntaxError at line 2" in result.stderr
    assert "Initializing" not in result.stdout and "Engine:" not in result.stdout
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert port_is_free(port)


def test_seed_loads_yaml_and_json_items(tmp_path, monkeypatch):
    app = make_app(tmp_path / "svc", {"Account": ACCOUNT, "Event": EVENT})
    seed = app / "seed"
    seed.mkdir()
    (seed / "accounts.yml").write_text("- {id: a1, name: Ada, score: 1.5}\n- {id: a2, tags: [x, y]}\n"
                                       "- {id: a3, key: !!binary aGk=, roles: !!set {admin: null}, more: {n: 2}}\n")
    (seed / "my-service-dev-events.json").write_text('[{"user": "u1", "ts": 1, "kind": "login"}]')
    port = free_port()
    run = Rundb(app, "--port", str(port), "--seed", "seed")
    banner = run.banner()
    assert "Seeded 3 items into my-service-dev-accounts" in banner
    assert "Seeded 1 item into my-service-dev-events" in banner
    dynamodb = dynamodb_client(monkeypatch, f"http://127.0.0.1:{port}")
    item = dynamodb.get_item(TableName="my-service-dev-accounts", Key={"id": {"S": "a1"}})["Item"]
    assert item == {"id": {"S": "a1"}, "name": {"S": "Ada"}, "score": {"N": "1.5"}}
    binary = dynamodb.get_item(TableName="my-service-dev-accounts", Key={"id": {"S": "a3"}})["Item"]
    assert binary["key"] == {"B": b"hi"} and binary["roles"] == {"SS": ["admin"]}
    assert binary["more"] == {"M": {"n": {"N": "2"}}}
    assert dynamodb.scan(TableName="my-service-dev-events")["Items"] == [
        {"user": {"S": "u1"}, "ts": {"N": "1"}, "kind": {"S": "login"}}]
    assert run.stop(signal.SIGTERM)[0] == 0


@pytest.mark.parametrize("name, content, message", [
    ("accounts.yml", "- {id: a1}\n- {name: no-key}\n", "accounts.yml: item 1: missing key attribute 'id'"),
    ("accounts.yml", "- {id: 7}\n", "accounts.yml: item 0: key attribute 'id' must have type S, got N"),
    ("accounts.yml", "- a1\n", "accounts.yml: item 0: expected a mapping"),
    ("accounts.json", "{\"id\": 1}", "accounts.json: expected a list of items"),
    ("nosuch.yml", "[]", "nosuch.yml: no model has table 'nosuch'"),
])
def test_bad_seed_names_file_and_index(tight, tmp_path, name, content, message):
    app = make_app(tmp_path / "svc")
    (app / "seed").mkdir()
    (app / "seed" / name).write_text(content)
    port = free_port()
    result = tight("dynamo.rundb", "--port", str(port), "--seed", "seed", cwd=app)
    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert port_is_free(port)


def test_local_engine_needs_an_install(tight, tmp_path):
    app = make_app(tmp_path / "svc")
    result = tight("dynamo.rundb", "--engine", "local", "--port", str(free_port()), cwd=app)
    assert result.returncode == 1
    assert "tight dynamo.installdb" in result.stderr and "--engine embedded" in result.stderr


def test_port_must_be_a_number(tight, tmp_path):
    app = make_app(tmp_path / "svc")
    result = tight("dynamo.rundb", "--port", "abc", cwd=app)
    assert result.returncode == 2
    assert result.stderr.strip() == "--port 'abc' is not a number: give a TCP port such as 8000."


def test_unknown_engine_is_a_usage_error(tight, tmp_path):
    app = make_app(tmp_path / "svc")
    result = tight("dynamo.rundb", "--engine", "docker", cwd=app)
    assert result.returncode == 2
    assert "auto, embedded, local" in result.stderr


def test_choose_engine(tmp_path, monkeypatch):
    from tight_tasks.dynamo import engines as localdb

    app = make_app(tmp_path / "svc")
    assert localdb.choose_engine("auto", app, "dynamo_db", "127.0.0.1", 8000).name == "embedded"
    (app / "dynamo_db").mkdir()
    (app / "dynamo_db" / "DynamoDBLocal.jar").write_bytes(b"not a jar")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    assert localdb.choose_engine("auto", app, "dynamo_db", "127.0.0.1", 8000).name == "embedded"
    java = tmp_path / "bin" / "java"
    java.parent.mkdir()
    java.write_text('#!/bin/sh\necho \'openjdk version "17.0.9" 2023-10-17\' >&2\n')
    java.chmod(0o755)
    monkeypatch.setenv("PATH", str(java.parent))
    engine = localdb.choose_engine("auto", app, "dynamo_db", "127.0.0.1", 8123)
    assert engine.name == "local"
    jar_dir = app / "dynamo_db"
    assert engine.command() == [str(java), f"-Djava.library.path={jar_dir / 'DynamoDBLocal_lib'}", "-jar",
                                str(jar_dir / "DynamoDBLocal.jar"), "-sharedDb", "-dbPath", str(jar_dir),
                                "-port", "8123"]
    java.write_text('#!/bin/sh\necho \'java version "1.8.0_312"\' >&2\n')
    assert localdb.choose_engine("auto", app, "dynamo_db", "127.0.0.1", 8000).name == "embedded"


def test_local_engine_with_a_broken_jar_fails_cleanly_and_keep(tight, tmp_path):
    """A jar Java cannot run: one-line error, no process left; the shared db is deleted unless --keep."""
    import shutil

    if shutil.which("java") is None:
        pytest.skip("no java on this machine")
    from tight_tasks.dynamo.engines import java_version

    if (java_version()[1] or 0) < 17:
        pytest.skip("no Java 17+ on this machine")
    app = make_app(tmp_path / "svc")
    db = app / "dynamo_db"
    db.mkdir()
    (db / "DynamoDBLocal.jar").write_bytes(b"not a jar")
    shared = db / "shared-local-instance.db"
    shared.write_bytes(b"old data")
    port = free_port()
    kept = tight("dynamo.rundb", "--engine", "local", "--keep", "--port", str(port), cwd=app)
    assert kept.returncode == 1
    assert "The local engine did not start" in kept.stderr
    assert shared.exists()
    result = tight("dynamo.rundb", "--port", str(port), cwd=app)  # auto: jar + Java 17 -> local
    assert result.returncode == 1
    assert "The local engine did not start" in result.stderr
    assert not shared.exists(), "the shared db is deleted on startup"
    assert port_is_free(port)


@pytest.fixture(scope="session")
def stub_jar(tmp_path_factory):
    """tests/dynamo/stub/StubDynamoDBLocal.java built into a DynamoDBLocal.jar (a stand-in, not DynamoDB)."""
    return build_stub_jar(tmp_path_factory)


@pytest.mark.parametrize("keep", [False, True])
def test_local_engine_lifecycle_with_a_stub_jar(tmp_path, stub_jar, keep):
    """auto picks `local` when the jar and Java 17+ are there; tight waits for it, creates the tables,
    deletes the shared db first (unless --keep) and leaves no java process behind."""
    import shutil

    app = make_app(tmp_path / "svc", {"Account": ACCOUNT, "Event": EVENT})
    db = app / "dynamo_db"
    db.mkdir()
    shutil.copy(stub_jar, db / "DynamoDBLocal.jar")
    (db / "shared-local-instance.db").write_text("yesterday's data")
    port = free_port()
    run = Rundb(app, "--port", str(port), *(["--keep"] if keep else []))
    banner = run.banner()
    assert f"Stub DynamoDB Local: Port: {port} DbPath: {db} SharedDb: true" in banner
    assert f"shared db present at start: {'true' if keep else 'false'}" in banner
    assert "Engine:     local" in banner and f"DbPath:     {db}" in banner
    assert "This engine has the following tables ['my-service-dev-accounts', 'my-service-dev-events']" in banner
    assert (db / "shared-local-instance.db").read_text() == "my-service-dev-accounts\nmy-service-dev-events"
    java_pid = int((db / "stub.pid").read_text())
    assert pid_alive(java_pid)
    code, out, err = run.stop(signal.SIGINT)
    assert code == 0, err
    assert "Stopped DynamoDB" in out
    deadline = time.monotonic() + 10
    while pid_alive(java_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(java_pid), "the java process outlived tight"
    assert port_is_free(port)


def test_local_engine_dies_with_a_killed_tight(tmp_path, stub_jar):
    """Even SIGKILL of tight (no cleanup possible) leaves no java process behind (Linux)."""
    import shutil

    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux-only")
    app = make_app(tmp_path / "svc")
    (app / "dynamo_db").mkdir()
    shutil.copy(stub_jar, app / "dynamo_db" / "DynamoDBLocal.jar")
    run = Rundb(app, "--port", str(free_port()), "--engine", "local")
    run.banner()
    java_pid = int((app / "dynamo_db" / "stub.pid").read_text())
    run.stop(signal.SIGKILL)
    deadline = time.monotonic() + 10
    while pid_alive(java_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    survived = pid_alive(java_pid)
    if survived:
        os.kill(java_pid, signal.SIGKILL)
    assert not survived, "the java process outlived a killed tight"


def test_shell_profile_and_region_do_not_stop_the_embedded_engine(tmp_path, monkeypatch):
    """Like DynamoDB Local, any region works (AWS_REGION=localhost) and no AWS profile is needed."""
    app = make_app(tmp_path / "svc", {"Account": ACCOUNT})
    (app / "seed").mkdir()
    (app / "seed" / "accounts.yml").write_text("- {id: a1}\n")
    port = free_port()
    env = clean_env(AWS_PROFILE="no-such-profile", AWS_REGION="localhost")
    run = Rundb(app, "--port", str(port), "--seed", "seed", env=env)
    banner = run.banner()
    assert "my-service-dev-accounts" in banner and "Seeded 1 item" in banner
    assert run.stop(signal.SIGTERM)[0] == 0
