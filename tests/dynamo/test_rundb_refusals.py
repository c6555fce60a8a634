"""rundb refuses, in one line and before anything starts, what DynamoDB (or the machine) would refuse."""
from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import clean_env, free_port, port_is_free
from dynamo_apps import ACCOUNT, EVENT, Rundb, make_app

MODEL = '''\
from flywheel import Model, Field


class {cls}(Model):
    __metadata__ = {{'_name': {name!r}}}

    id = Field(type=str, hash_key=True)
'''


def one_line(result, code=1) -> str:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Initializing" not in result.stdout and "Engine:" not in result.stdout
    return result.stderr.strip()


def test_two_models_with_one_table_are_refused_like_generateschema(tight, tmp_path):
    """`tight generate.model account` and `... accounts` both make my-service-dev-accounts."""
    accounts = ACCOUNT.replace("class Account(", "class Accounts(").replace("def __init__", "def unused")
    app = make_app(tmp_path / "svc", {"account": ACCOUNT, "accounts": accounts})
    port = free_port()
    message = one_line(tight("dynamo.rundb", "--port", str(port), cwd=app))
    assert "accounts.py: model Accounts has the same table name as Account (my-service-dev-accounts)" in message
    assert port_is_free(port)
    schema = one_line(tight("dynamo.generateschema", cwd=app))
    assert "model Accounts has the same table name as Account" in schema


@pytest.mark.parametrize("name, message", [
    ("bad name!", "table name 'bad name!' has characters DynamoDB refuses"),
    ("ab", "table name 'ab' has 2 characters; DynamoDB needs 3 to 255"),
    ("t" * 256, f"table name {'t' * 40!r}... has 256 characters; DynamoDB needs 3 to 255"),
    ("x" * 300, f"table name {'x' * 40!r}... has 300 characters; DynamoDB needs 3 to 255"),
    ("a/b", "table name 'a/b' has characters DynamoDB refuses"),
])
def test_table_names_dynamodb_refuses(tight, tmp_path, name, message):
    app = make_app(tmp_path / "svc", {"Thing": MODEL.format(cls="Thing", name=name)})
    error = one_line(tight("dynamo.rundb", "--port", str(free_port()), cwd=app))
    assert "Thing.py: model Thing: " + message in error
    assert "__metadata__['_name']" in error
    assert len(error) < 300


@pytest.mark.parametrize("files, message", [
    ({"accounts.yml": '- {id: a1}\n- {id: ""}\n'},
     "accounts.yml: item 1: key attribute 'id' is empty; DynamoDB keys need a value."),
    ({"accounts.yml": "- {id: a1, n: 1}\n- {id: a2}\n- {id: a1, n: 2}\n"},
     "accounts.yml: item 2 has the same key as item 0 (id='a1')"),
    ({"accounts.yml": "- {id: a1}\n", "my-service-dev-accounts.json": '[{"id": "a1"}]'},
     "my-service-dev-accounts.json: item 0 has the same key as"),
    ({"events.yml": "- {user: u, ts: 1}\n- {user: u, ts: 1.0}\n"}, "events.yml: item 1 has the same key as item 0"),
    ({"events.yml": "- {user: u, ts: 1, device: !!binary ''}\n- {user: u, ts: 2}\n- {user: '', ts: 3}\n"},
     "events.yml: item 2: key attribute 'user' is empty"),
])
def test_seed_items_dynamodb_would_refuse(tight, tmp_path, files, message):
    app = make_app(tmp_path / "svc", {"Account": ACCOUNT, "Event": EVENT})
    (app / "seed").mkdir()
    for name, text in files.items():
        (app / "seed" / name).write_text(text)
    port = free_port()
    error = one_line(tight("dynamo.rundb", "--port", str(port), "--seed", "seed", cwd=app))
    assert message in error
    assert port_is_free(port)


def test_distinct_keys_are_all_seeded(tmp_path):
    """Items of one table that differ in the range key, or across tables, are not duplicates."""
    app = make_app(tmp_path / "svc", {"Account": ACCOUNT, "Event": EVENT})
    (app / "seed").mkdir()
    (app / "seed" / "events.yml").write_text("- {user: u, ts: 1}\n- {user: u, ts: 2}\n- {user: v, ts: 1}\n")
    (app / "seed" / "accounts.yml").write_text("- {id: u}\n- {id: v}\n")
    run = Rundb(app, "--port", str(free_port()), "--seed", "seed")
    banner = run.banner()
    assert "Seeded 3 items into my-service-dev-events" in banner
    assert "Seeded 2 items into my-service-dev-accounts" in banner
    assert run.stop()[0] == 0


def _without_bind_capability():
    """As root: drop CAP_NET_BIND_SERVICE from the child's bounding set, so it is like a normal user."""
    if os.geteuid() != 0:
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def drop():
        if prctl(24, 10, 0, 0, 0) != 0:  # PR_CAPBSET_DROP, CAP_NET_BIND_SERVICE
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    return drop


def test_a_privileged_port_says_permission_denied(tmp_path):
    app = make_app(tmp_path / "svc")
    start = int(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text())
    port = min(80, start - 1)
    assert port > 0, "this machine lets anyone bind every port"
    result = subprocess.run([sys.executable, "-m", "tight_tasks", "dynamo.rundb", "--port", str(port)], cwd=app,
                            capture_output=True, text=True, env=clean_env(), timeout=60,
                            preexec_fn=_without_bind_capability(), check=False)
    error = one_line(result)
    assert f"Port {port} on 127.0.0.1: permission denied" in error and "--port N with N >= 1024" in error
    assert "already in use" not in error


@pytest.mark.parametrize("host, message", [
    ("8.8.8.8", "--host 8.8.8.8 is not an address of this machine; use 127.0.0.1"),
    ("nonexistent.invalid", "--host nonexistent.invalid: the host name does not resolve"),
])
def test_a_host_that_is_not_here_says_so(tight, tmp_path, host, message):
    app = make_app(tmp_path / "svc")
    error = one_line(tight("dynamo.rundb", "--host", host, "--port", str(free_port()), cwd=app))
    assert message in error and "already in use" not in error


def test_a_host_of_this_machine_by_name_works(tmp_path):
    app = make_app(tmp_path / "svc")
    run = Rundb(app, "--host", "localhost", "--port", str(free_port()))
    assert "This engine has the following tables" in run.banner()
    assert run.stop()[0] == 0


def test_generateschema_refuses_the_same_table_names(tight, tmp_path):
    """One rule for both commands (tight.dev.models.table_name): no traceback, no file written."""
    app = make_app(tmp_path / "svc", {"Thing": MODEL.format(cls="Thing", name="x" * 300)})
    error = one_line(tight("dynamo.generateschema", cwd=app))
    assert "has 300 characters; DynamoDB needs 3 to 255" in error
    assert not (app / "schemas").exists()


@pytest.mark.parametrize("directory", ["..", ".", "/tmp", "../elsewhere", "app/../.."])
def test_keep_never_writes_outside_the_app(tight, tmp_path, directory):
    """`dynamo: {dir: ...}` in a cloned tight.yml must not make rundb --keep write (or lock) outside the app."""
    app = make_app(tmp_path / "svc")
    with (app / "tight.yml").open("a") as config:
        config.write(f"dynamo:\n  dir: {directory!r}\n")
    before = sorted(p.name for p in tmp_path.iterdir()), sorted(p.name for p in app.iterdir())
    error = one_line(tight("dynamo.rundb", "--keep", "--port", str(free_port()), cwd=app, timeout=60))
    assert f"dynamo.dir {directory!r} (tight.yml) is not a directory inside the app" in error
    assert (sorted(p.name for p in tmp_path.iterdir()), sorted(p.name for p in app.iterdir())) == before
