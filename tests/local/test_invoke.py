"""tight local.invoke NAME: one function in process, event from a file, stdin or flags."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import clean_env
from local_apps import make_app


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("invoke") / "shop")


def invoke(app_dir, *args, stdin=None):
    return subprocess.run([sys.executable, "-m", "tight_tasks", "local.invoke", *args], cwd=app_dir,
                          input=stdin, capture_output=True, text=True, env=clean_env(), timeout=120, check=False)


REST_EVENT = {
    "resource": "/echo", "path": "/echo", "httpMethod": "GET",
    "headers": {"Host": "example.com"}, "multiValueHeaders": {"Host": ["example.com"]},
    "queryStringParameters": {"q": "1"}, "multiValueQueryStringParameters": {"q": ["1"]},
    "pathParameters": None, "stageVariables": None,
    "requestContext": {"requestId": "from-file", "stage": "prod", "identity": {"sourceIp": "10.0.0.1"}},
    "body": None, "isBase64Encoded": False,
}


def test_event_from_a_file(app_dir, tmp_path):
    path = tmp_path / "event.json"
    path.write_text(json.dumps(REST_EVENT), encoding="utf-8")
    result = invoke(app_dir, "echo", "--event", str(path), "--no-db")
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)  # stdout is the response and nothing else
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["event"] == REST_EVENT
    assert "echo says hello on stdout" in result.stderr


def test_event_from_stdin_with_the_database(app_dir):
    event = {**REST_EVENT, "httpMethod": "POST", "resource": "/accounts", "path": "/accounts",
             "headers": {"Content-Type": "application/json"}, "body": json.dumps({"id": "s1", "owner": "sam"})}
    result = invoke(app_dir, "accounts", "--event", "-", stdin=json.dumps(event))
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["statusCode"] == 201
    assert json.loads(response["body"]) == {"saved": "s1"}


@pytest.mark.parametrize("payload", ["1.0", "2.0"])
def test_event_from_flags(app_dir, payload):
    result = invoke(app_dir, "echo", "--method", "post", "--path", "/echo/x?y=1&y=2", "--body", '{"a": 1}',
                    "--header", "X-A=1", "--header", "Content-Type=application/json", "--payload", payload,
                    "--no-db")
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["statusCode"] == 201
    event = json.loads(response["body"])["event"]
    assert json.loads(event["body"]) == {"a": 1}
    if payload == "1.0":
        assert event["httpMethod"] == "POST"
        assert event["resource"] == "/echo/{proxy+}"
        assert event["pathParameters"] == {"proxy": "x"}
        assert event["multiValueQueryStringParameters"] == {"y": ["1", "2"]}
        assert event["headers"]["X-A"] == "1"
        assert event["requestContext"]["stage"] == "dev"
    else:
        assert event["requestContext"]["http"]["method"] == "POST"
        assert event["queryStringParameters"] == {"y": "1,2"}
        assert event["headers"]["x-a"] == "1"


def test_pretty_json_on_a_terminal(app_dir):
    import os
    import pty

    leader, follower = pty.openpty()
    try:
        result = subprocess.run([sys.executable, "-m", "tight_tasks", "local.invoke", "version", "--no-db"],
                                cwd=app_dir, stdout=follower, stderr=subprocess.PIPE, text=True, env=clean_env(),
                                timeout=120, check=False)
        os.close(follower)
        follower = None
        output = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other end is closed
                break
            if not chunk:
                break
            output += chunk
    finally:
        if follower is not None:
            os.close(follower)
        os.close(leader)
    assert result.returncode == 0, result.stderr
    text = output.decode().replace("\r\n", "\n")
    assert text.startswith('{\n  "statusCode": 200,\n')
    assert json.loads(text)["body"] == '{"version":"one"}'


def test_default_event_is_a_get_of_the_functions_path(app_dir):
    result = invoke(app_dir, "lookup", "--path", "/accounts/nobody")
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["statusCode"] == 404
    assert json.loads(response["body"]) == {"missing": "nobody"}


def one_line(result, *words):
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for word in words:
        assert word in result.stderr


def test_unknown_function_lists_the_existing_ones(app_dir):
    one_line(invoke(app_dir, "nope"), "'nope'", "accounts, broken, echo, files, lookup, slow, version")


def test_missing_or_invalid_event_file(app_dir, tmp_path):
    one_line(invoke(app_dir, "echo", "--event", str(tmp_path / "none.json")), "no such file")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    one_line(invoke(app_dir, "echo", "--event", str(bad)), "invalid JSON")
    one_line(invoke(app_dir, "echo", "--event", "-", stdin=""), "stdin", "invalid JSON")


def test_event_and_flags_together_and_bad_header_are_usage_errors(app_dir, tmp_path):
    result = invoke(app_dir, "echo", "--event", "-", "--method", "POST", stdin="{}")
    assert result.returncode == 2 and "--event gives the whole event" in result.stderr
    result = invoke(app_dir, "echo", "--header", "novalue")
    assert result.returncode == 2 and "name=value" in result.stderr


def test_the_docs_functions_section_works_as_written(tmp_path):
    """The docs' `functions:` example, pasted into tight.yml, routes /accounts/{id}; the same list with
    the template unquoted (YAML reads `{id}` as a mapping there) is one line saying to quote it."""
    import re
    import shutil

    from conftest import REPO

    docs = (REPO / "docs" / "local.md").read_text(encoding="utf-8")
    section = docs[docs.index("## Routes: the `functions:` section"):]
    block = re.search(r"```yaml\n(functions:\n.*?)```", section, re.DOTALL).group(1)
    assert "  my_controller:\n" in block  # the quick start's function
    app = make_app(tmp_path / "shop")
    shutil.rmtree(app / "app" / "functions" / "accounts")  # echo takes its paths: echo returns the event
    (app / "tight.yml").write_text("name: shop\nprovider: aws\n" + block.replace("  my_controller:", "  echo:"))
    result = invoke(app, "echo", "--path", "/accounts/42", "--no-db")
    assert result.returncode == 0, result.stderr
    assert json.loads(json.loads(result.stdout)["body"])["event"]["pathParameters"] == {"id": "42"}
    (app / "tight.yml").write_text("name: shop\nfunctions:\n  echo:\n    path: [/accounts, /accounts/{id}]\n")
    unquoted = invoke(app, "echo", "--no-db")
    assert (unquoted.returncode, unquoted.stdout) == (1, "")
    assert unquoted.stderr == (f"{app / 'tight.yml'}: line 4: expected ',' or ']', but got '{{' (inside [...] "
                               "quote a value that holds braces: [/accounts, '/accounts/{id}']); fix the file and "
                               "retry.\n")


STARTED = "Started the embedded DynamoDB at http://127.0.0.1:"


def test_a_function_without_tables_starts_no_database(app_dir):
    """The embedded DynamoDB starts on a function's first DynamoDB call, not for every invocation."""
    result = invoke(app_dir, "version")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["body"] == '{"version":"one"}'
    assert "DynamoDB" not in result.stderr


def test_a_function_using_a_table_starts_the_database_on_first_use(app_dir):
    event = {**REST_EVENT, "httpMethod": "POST", "resource": "/accounts", "path": "/accounts",
             "headers": {"Content-Type": "application/json"}, "body": json.dumps({"id": "café", "owner": "zoé"})}
    result = invoke(app_dir, "accounts", "--event", "-", stdin=json.dumps(event))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["statusCode"] == 201
    assert result.stderr.count(STARTED) == 1
    assert "on first use (tables: shop-dev-accounts)." in result.stderr


def test_a_model_that_cannot_be_imported_fails_the_call_not_hangs_it(app_dir, tmp_path):
    import shutil

    root = tmp_path / "shop"
    shutil.copytree(app_dir, root)
    (root / "app" / "models" / "Broken.py").write_text("raise ValueError('bad model')\n", encoding="utf-8")
    result = invoke(root, "lookup", "--path", "/accounts/nobody")
    assert result.returncode == 1, result.stdout
    assert result.stderr.strip().splitlines()[-1].startswith("The embedded DynamoDB did not start: Cannot import model")
    assert "bad model" in result.stderr
    assert STARTED not in result.stderr
