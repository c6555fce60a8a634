"""tight.providers.aws.lambda_app.app: discovering app/functions and exposing entry points."""
from __future__ import annotations

import importlib
import importlib.util
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest
from conftest import clean_env
from runtime_helpers import APP_INDEX, forget_app_modules, make_app, write

from tight.providers.aws.lambda_app import app as lambda_app

HELLO = '''\
import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy

@lambda_proxy.get
def get_handler(*args, **kwargs):
    return {'statusCode': 200, 'body': {'controller': __name__}}
'''


@pytest.fixture
def isolated(monkeypatch):
    """Let a test import a hand-built app in this process, then forget it."""
    forget_app_modules()
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    forget_app_modules()


def test_function_names_sorted_and_filtered(tmp_path, caplog):
    root = make_app(tmp_path, functions={"zeta": HELLO, "alpha": HELLO, "mid": HELLO})
    write(root / "app/functions/no_handler/__init__.py", "")
    write(root / "app/functions/__pycache__/handler.py", "")
    write(root / "app/functions/bad-name/handler.py", HELLO)
    write(root / "app/functions/stray.py", "")
    assert lambda_app.function_names(root) == ["alpha", "mid", "zeta"]
    assert "bad-name" in caplog.text


def test_function_names_without_functions_dir(tmp_path):
    assert lambda_app.function_names(tmp_path) == []


def test_app_index_exposes_one_entry_point_per_function(tmp_path, monkeypatch, isolated):
    root = make_app(tmp_path / "svc", functions={"users": HELLO, "accounts": HELLO})
    elsewhere = tmp_path / "elsewhere"
    make_app(elsewhere, functions={"decoy": HELLO})  # cwd is another app: must not matter
    monkeypatch.chdir(elsewhere)
    sys.path.insert(0, str(root))
    app_index = importlib.import_module("app_index")
    assert app_index.__tight_controllers__ == ["accounts", "users"]
    assert not hasattr(app_index, "decoy")
    response = app_index.accounts({"httpMethod": "GET"}, {})
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"controller": "app.functions.accounts.handler"}
    assert json.loads(app_index.users({"httpMethod": "GET"}, None)["body"]) == \
        {"controller": "app.functions.users.handler"}
    assert app_index.users({"httpMethod": "POST"}, None)["statusCode"] == 405


def test_create_puts_the_app_root_on_sys_path(tmp_path, isolated):
    root = make_app(tmp_path, functions={"only": HELLO})
    spec = importlib.util.spec_from_file_location("some_index", root / "app_index.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["some_index"] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["some_index"]
    assert str(root.resolve()) in sys.path
    assert module.only({"httpMethod": "GET"}, {})["statusCode"] == 200


def test_another_app_package_first_on_the_path_is_an_error(tmp_path, isolated):
    root = make_app(tmp_path / "real", functions={"shared": HELLO})
    other = make_app(tmp_path / "other", functions={"shared": HELLO})
    sys.path.insert(0, str(other))
    importlib.import_module("app.functions.shared.handler")  # the other app's package is loaded
    sys.path.insert(0, str(root))
    app_index = importlib.import_module("app_index")
    with pytest.raises(ImportError, match="another package named 'app'"):
        app_index.shared  # noqa: B018 - the handler is imported on first access


def _call_run():
    return lambda_app.run()


def test_run_outside_a_module_file_is_an_error():
    orphan = types.FunctionType(_call_run.__code__, {"lambda_app": lambda_app, "__name__": "not_a_module"})
    with pytest.raises(RuntimeError, match="app_index.py"):
        orphan()


def test_lambda_style_import_in_a_fresh_interpreter(tmp_path):
    """As Lambda does it: cwd is the app root, the handler is 'app_index.hello'."""
    root = make_app(tmp_path, functions={"hello": HELLO})
    assert (root / "app_index.py").read_text() == APP_INDEX
    code = "import json, app_index; print(json.dumps(app_index.hello({'httpMethod': 'GET'}, None)))"
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                            env=clean_env(), timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"statusCode": 200, "headers": {"Access-Control-Allow-Origin": "*", "Content-Type": "application/json"},
                                         "body": '{"controller":"app.functions.hello.handler"}'}


NEEDS_NAME = """\
import os
import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy

TABLE = os.environ['NAME'] + '-' + os.environ['STAGE'] + '-accounts'

@lambda_proxy.get
def get_handler(request):
    return {'table': TABLE}
"""

PROBE = """\
import json, socket, sys
attempts = []
def refuse(self, address, *args):
    attempts.append(str(address))
    raise OSError("network used")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
import app_index
before = sorted(m for m in sys.modules if m.startswith("app.functions."))
controllers = list(app_index.__tight_controllers__)
listed = [name for name in dir(app_index) if name in controllers]
response = app_index.hello({"httpMethod": "GET"}, None)
after = sorted(m for m in sys.modules if m.startswith("app.functions."))
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"boto3", "botocore", "flywheel", "dynamo3", "yaml"})
print(json.dumps({"before": before, "after": after, "listed": listed, "status": response["statusCode"],
                  "attempts": attempts, "heavy": heavy}))
"""


def run_probe(root, code=PROBE, **env):
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                            env=clean_env(**env), timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


def test_a_function_imports_only_its_own_handler_and_no_network(tmp_path):
    """Cold start: app_index lists the controllers; hello's handler (generated, with db = connect())
    is imported on first access; boto3/flywheel wait for the first query; nothing touches the network."""
    from runtime_helpers import GENERATED_HANDLER
    root = make_app(tmp_path, functions={"hello": GENERATED_HANDLER, "other": HELLO, "third": HELLO})
    (root / "tight_env.json").write_text('{"NAME": "svc", "STAGE": "dev"}')
    seen, _ = run_probe(root)
    assert seen == {"before": [], "after": ["app.functions.hello", "app.functions.hello.handler"],
                    "listed": ["hello", "other", "third"], "status": 200, "attempts": [], "heavy": []}


def test_packaged_env_json_fills_missing_keys_only(tmp_path):
    root = make_app(tmp_path, functions={"needs": NEEDS_NAME})
    (root / "env.dist.yml").unlink()
    (root / "tight_env.json").write_text('{"NAME": "from-zip", "STAGE": "dev", "DEBUG": true}')
    code = ("import json, os, app_index; r = app_index.needs({'httpMethod': 'GET'}, None); "
            "print(json.dumps([r['body'], os.environ['DEBUG']]))")
    seen, _ = run_probe(root, code, STAGE="prod")
    assert seen == ['{"table":"from-zip-prod-accounts"}', "true"]


def test_env_yaml_files_apply_outside_a_package(tmp_path):
    root = make_app(tmp_path, functions={"needs": NEEDS_NAME}, name="yaml-svc")
    code = "import json, app_index; print(json.dumps(app_index.needs({'httpMethod': 'GET'}, None)['body']))"
    seen, _ = run_probe(root, code)
    assert seen == '{"table":"yaml-svc-dev-accounts"}'


def test_missing_variable_is_one_log_line_and_a_500_for_that_function_only(tmp_path):
    root = make_app(tmp_path, functions={"needs": NEEDS_NAME, "fine": HELLO})
    (root / "env.dist.yml").unlink()
    (root / "tight.yml").write_text("provider: aws\n")  # no name: nothing provides NAME
    (root / "tight_env.json").write_text('{"STAGE": "dev"}')
    code = ("import json, logging, app_index\n"
            "r1 = app_index.needs({'httpMethod': 'GET', 'headers': {}}, None)\n"
            "r2 = app_index.fine({'httpMethod': 'GET'}, None)\n"
            "try:\n    app_index.needs({'Records': []}, None)\nexcept RuntimeError as exc:\n    e = str(exc)\n"
            "print(json.dumps([r1['statusCode'], r1['body'], r2['statusCode'], e]))")
    seen, stderr = run_probe(root, code)
    assert seen[0] == 500 and seen[1] == '{"message":"Internal server error"}'
    assert seen[2] == 200
    assert seen[3].startswith("Environment variable NAME is not set: app/functions/needs cannot start")
    assert "Traceback" not in stderr and "KeyError" not in stderr
    lines = [line for line in stderr.splitlines() if "NAME is not set" in line]
    assert len(lines) == 2  # one line per invocation, no traceback


def test_a_queue_batch_for_a_function_with_no_handler_fails_so_it_is_retried(tmp_path, isolated, caplog):
    # A handler module that registers nothing must not answer an SQS batch with an HTTP 405:
    # Lambda would count the batch as handled and delete its messages.
    root = make_app(tmp_path / "svc", functions={"worker": "VALUE = 1\n"})
    sys.path.insert(0, str(root))
    app_index = importlib.import_module("app_index")
    batch = json.loads((Path(__file__).parents[1] / "events" / "sqs.json").read_text())
    with pytest.raises(RuntimeError, match="registers no handler"):
        app_index.worker(batch, None)
    assert "app/functions/worker/handler.py registers no handler" in caplog.text
    assert app_index.worker({"httpMethod": "GET"}, None)["statusCode"] == 405
