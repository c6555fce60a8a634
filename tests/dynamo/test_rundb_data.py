"""rundb and the data it keeps: --keep on the embedded engine, and one rundb at a time per data file."""
from __future__ import annotations

import json
import os
import shutil
import signal
import time

import boto3
import pytest
from conftest import free_port, port_is_free
from dynamo_apps import (
    ACCOUNT,
    EVENT,
    Rundb,
    build_stub_jar,
    make_app,
    pid_alive,
)

SNAPSHOT = "shared-embedded-instance.json"


@pytest.fixture(scope="session")
def stub_jar(tmp_path_factory):
    return build_stub_jar(tmp_path_factory)


def client(port, region="us-east-1"):
    return boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name=region).client(
        "dynamodb", endpoint_url=f"http://127.0.0.1:{port}")


def test_keep_saves_on_stop_and_loads_on_the_next_start(tmp_path):
    app = make_app(tmp_path / "svc", {"Account": ACCOUNT, "Event": EVENT})
    data = app / "dynamo_db" / SNAPSHOT
    port = free_port()
    run = Rundb(app, "--keep", "--port", str(port))
    banner = run.banner()
    assert f"DbPath:     {data} (none yet: written when rundb stops)" in banner
    dynamodb = client(port, "us-west-2")
    for i in range(30):
        dynamodb.put_item(TableName="my-service-dev-accounts", Item={"id": {"S": f"a{i:02d}"}, "n": {"N": str(i)}})
    dynamodb.put_item(TableName="my-service-dev-events", Item={
        "user": {"S": "u1"}, "ts": {"N": "1"}, "kind": {"S": "login"}, "device": {"B": b"\x00\xffraw"},
        "tags": {"SS": ["a", "b"]}, "more": {"M": {"deep": {"L": [{"N": "1.5"}, {"NULL": True}]}}}})
    dynamodb.create_table(TableName="adhoc.table", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"},
                                                              {"AttributeName": "r", "KeyType": "RANGE"}],
                          AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"},
                                                {"AttributeName": "r", "AttributeType": "N"}],
                          BillingMode="PAY_PER_REQUEST")
    dynamodb.put_item(TableName="adhoc.table", Item={"k": {"S": "x"}, "r": {"N": "7"}})
    code, out, err = run.stop(signal.SIGINT)
    assert code == 0, err
    assert f"Saved 3 tables and 32 items to {data}" in out
    assert json.loads(data.read_text())["format"] == "tight-dynamodb-snapshot"
    assert not list(data.parent.glob(".*.tmp")) and not (data.parent / ".tight-rundb.lock").exists()

    run = Rundb(app, "--keep", "--port", str(port))
    banner = run.banner()
    assert f"DbPath:     {data} (loaded 3 tables, 32 items; saved again when rundb stops)" in banner
    assert "['my-service-dev-accounts', 'my-service-dev-events']" in banner
    dynamodb = client(port, "localhost")
    assert sorted(dynamodb.list_tables()["TableNames"]) == ["adhoc.table", "my-service-dev-accounts",
                                                            "my-service-dev-events"]
    assert dynamodb.scan(TableName="my-service-dev-accounts")["Count"] == 30
    assert dynamodb.get_item(TableName="my-service-dev-accounts", Key={"id": {"S": "a07"}})["Item"]["n"] == {"N": "7"}
    event = dynamodb.get_item(TableName="my-service-dev-events", Key={"user": {"S": "u1"}, "ts": {"N": "1"}})["Item"]
    assert event["device"] == {"B": b"\x00\xffraw"} and event["tags"] == {"SS": ["a", "b"]}
    assert event["more"] == {"M": {"deep": {"L": [{"N": "1.5"}, {"NULL": True}]}}}
    table = dynamodb.describe_table(TableName="my-service-dev-events")["Table"]
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {"by-kind", "by-device", "by-owner"}
    assert {i["IndexName"] for i in table["LocalSecondaryIndexes"]} == {"by-score", "by-rank", "by-label"}
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert dynamodb.describe_time_to_live(TableName="my-service-dev-events")["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    assert dynamodb.query(TableName="adhoc.table", KeyConditionExpression="k = :k",
                          ExpressionAttributeValues={":k": {"S": "x"}})["Items"] == [{"k": {"S": "x"}, "r": {"N": "7"}}]
    dynamodb.delete_item(TableName="my-service-dev-accounts", Key={"id": {"S": "a00"}})
    code, out, err = run.stop(signal.SIGTERM)
    assert code == 0, err
    assert f"Saved 3 tables and 31 items to {data}" in out
    saved = data.read_bytes()

    run = Rundb(app, "--port", str(port))  # without --keep: empty, and the file is left alone
    assert "DbPath:     none (data lives in memory; --keep saves it to a file on stop)" in run.banner()
    assert client(port).scan(TableName="my-service-dev-accounts")["Count"] == 0
    code, out, err = run.stop()
    assert code == 0 and "Saved" not in out
    assert data.read_bytes() == saved


FOREIGN = [
    ("not-json", b"{\"format\": \"tight-dynamodb-snap", "invalid JSON"),
    ("binary", b"\xff\xfe\x00SQLite format 3\x00", "not UTF-8 text"),
    ("foreign-json", b'{"tables": []}', 'no "format": "tight-dynamodb-snapshot"'),
    ("list", b"[1, 2]", 'no "format": "tight-dynamodb-snapshot"'),
    ("newer", b'{"format": "tight-dynamodb-snapshot", "version": 99, "tables": []}', "version 99"),
    ("bad-table", b'{"format": "tight-dynamodb-snapshot", "version": 1, "tables": [{"table": {"TableName": "t"}}]}',
     "table 0: t: no KeySchema"),
    ("refused-table", json.dumps({"format": "tight-dynamodb-snapshot", "version": 1, "tables": [{"table": {
        "TableName": "t", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "other", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST"}, "items": []}]}).encode(), "cannot load table t"),
]


@pytest.mark.parametrize("content, message", [f[1:] for f in FOREIGN], ids=[f[0] for f in FOREIGN])
def test_a_corrupt_or_foreign_file_is_one_line_and_left_alone(tight, tmp_path, content, message):
    app = make_app(tmp_path / "svc")
    data = app / "dynamo_db" / SNAPSHOT
    data.parent.mkdir()
    data.write_bytes(content)
    port = free_port()
    result = tight("dynamo.rundb", "--keep", "--port", str(port), cwd=app)
    assert result.returncode == 1, result.stdout
    assert message in result.stderr and str(data) in result.stderr
    assert "move it away to start empty" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert data.read_bytes() == content
    assert sorted(p.name for p in data.parent.iterdir()) == [SNAPSHOT]
    assert port_is_free(port)


def test_a_second_keep_run_is_refused_while_the_first_holds_the_file(tight, tmp_path):
    app = make_app(tmp_path / "svc")
    first_port = free_port()
    first = Rundb(app, "--keep", "--port", str(first_port))
    first.banner()
    client(first_port).put_item(TableName="my-service-dev-accounts", Item={"id": {"S": "first"}})
    second = tight("dynamo.rundb", "--keep", "--port", str(free_port()), cwd=app)
    assert second.returncode == 1
    assert f"pid {first.process.pid}, port {first_port}" in second.stderr
    assert str(app / "dynamo_db" / SNAPSHOT) in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1
    assert first.stop()[0] == 0
    again = Rundb(app, "--keep", "--port", str(first_port))
    assert "loaded 1 table, 1 item" in again.banner()
    assert again.stop()[0] == 0


def test_a_second_local_engine_cannot_delete_the_first_ones_data(tight, tmp_path, stub_jar):
    app = make_app(tmp_path / "svc")
    db = app / "dynamo_db"
    db.mkdir()
    shutil.copy(stub_jar, db / "DynamoDBLocal.jar")
    port = free_port()
    first = Rundb(app, "--engine", "local", "--port", str(port))
    first.banner()
    shared = db / "shared-local-instance.db"
    written = shared.read_bytes()
    for extra in ([], ["--keep"]):
        second = tight("dynamo.rundb", "--engine", "local", "--port", str(free_port()), *extra, cwd=app)
        assert second.returncode == 1
        assert f"Another `tight dynamo.rundb` (pid {first.process.pid}, port {port}) is using {shared}" in second.stderr
        assert len(second.stderr.strip().splitlines()) == 1
        assert shared.read_bytes() == written
    assert first.stop()[0] == 0


def test_a_lock_left_by_a_killed_rundb_does_not_block(tmp_path, stub_jar):
    app = make_app(tmp_path / "svc")
    db = app / "dynamo_db"
    db.mkdir()
    shutil.copy(stub_jar, db / "DynamoDBLocal.jar")
    port = free_port()
    killed = Rundb(app, "--engine", "local", "--port", str(port))
    killed.banner()
    java_pid = int((db / "stub.pid").read_text())
    killed.stop(signal.SIGKILL)
    lock = db / ".tight-rundb.lock"
    assert json.loads(lock.read_text())["pid"] == killed.process.pid, "the lock file stays behind"
    deadline = time.monotonic() + 10
    while (pid_alive(java_pid) or not port_is_free(port)) and time.monotonic() < deadline:
        time.sleep(0.05)
    again = Rundb(app, "--engine", "local", "--port", str(port))
    assert "Engine:     local" in again.banner()
    assert json.loads(lock.read_text())["pid"] == again.process.pid
    assert again.stop()[0] == 0
    assert not lock.exists()


def test_exclusive_lock(tmp_path):
    """The lock is the operating system's: held while the block runs, free when its holder is gone."""
    import subprocess
    import sys

    from tight_tasks.lockfile import LockHeld, exclusive

    path = tmp_path / "x.lock"
    path.write_text('{"pid": 999999999}')  # a stale file from a dead process: no obstacle
    with exclusive(path, port=1):
        assert json.loads(path.read_text()) == {"pid": os.getpid(), "port": 1}
        holder = subprocess.run([sys.executable, "-c", (
            "import sys; from tight_tasks.lockfile import LockHeld, exclusive\n"
            f"try:\n    exclusive({str(path)!r}).__enter__()\nexcept LockHeld as e:\n"
            "    print(e.holder['pid']); sys.exit(3)\n")], capture_output=True, text=True, check=False)
        assert (holder.returncode, holder.stdout.strip()) == (3, str(os.getpid()))
        with pytest.raises(LockHeld), exclusive(path):
            pass
    assert not path.exists()
    with exclusive(path):
        pass


def test_running_dynamodb_keep_saves_only_on_a_clean_exit(tmp_path, monkeypatch):
    """The Python API: keep=True saves when the block ends (or is interrupted), never after an error."""
    import sys

    from tight_tasks.dynamo.localdb import running_dynamodb

    for key in ("NAME", "STAGE", "CI"):  # running_dynamodb applies the app's env.yml: restore them after
        monkeypatch.setenv(key, "x")
        monkeypatch.delenv(key)
    monkeypatch.setattr(sys, "path", list(sys.path))
    app = make_app(tmp_path / "svc")
    data = app / "dynamo_db" / SNAPSHOT
    with running_dynamodb(app, engine="embedded", port=0, keep=True) as db:
        assert db["engine"] == "embedded"
        port = int(db["endpoint"].rsplit(":", 1)[1])
        client(port).put_item(TableName="my-service-dev-accounts", Item={"id": {"S": "kept"}})
    assert json.loads((app / "dynamo_db" / ".tight-rundb.json").read_text())["created_by"]
    saved = data.read_bytes()
    assert b'"kept"' in saved
    with pytest.raises(RuntimeError, match="boom"), running_dynamodb(app, engine="embedded", keep=True) as db:
        port = int(db["endpoint"].rsplit(":", 1)[1])
        client(port).delete_item(TableName="my-service-dev-accounts", Key={"id": {"S": "kept"}})
        raise RuntimeError("boom")
    assert data.read_bytes() == saved, "an error is not a clean stop: the last good snapshot stays"
    with pytest.raises(KeyboardInterrupt), running_dynamodb(app, engine="embedded", keep=True) as db:
        port = int(db["endpoint"].rsplit(":", 1)[1])
        client(port).put_item(TableName="my-service-dev-accounts", Item={"id": {"S": "second"}})
        raise KeyboardInterrupt
    assert b'"second"' in data.read_bytes() and b'"kept"' in data.read_bytes()
    before = data.read_bytes()

    from tight_tasks.dynamo import snapshot

    def interrupted(endpoint, saved, path):  # Ctrl-C while the snapshot is being loaded
        raise KeyboardInterrupt

    monkeypatch.setattr(snapshot, "load_snapshot", interrupted)
    with pytest.raises(KeyboardInterrupt), running_dynamodb(app, engine="embedded", keep=True):
        pass
    assert data.read_bytes() == before, "a half-started engine must not overwrite the snapshot"
    for name in [n for n in sys.modules if n == "app" or n.startswith("app.")]:
        del sys.modules[name]
