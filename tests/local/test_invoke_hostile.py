"""local.invoke with hostile --event sources: each refused in one line, exit 1, no traceback, nothing run."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import clean_env
from local_apps import make_app


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("invoke-hostile") / "shop")


def invoke(app_dir, *args, stdin=None):
    return subprocess.run([sys.executable, "-m", "tight_tasks", "local.invoke", "echo", *args, "--no-db"],
                          cwd=app_dir, stdin=stdin, capture_output=True, timeout=120, check=False, env=clean_env())


def refused(result, *words):
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 1, (result.stdout, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert result.stdout == b""  # the function never ran: nothing printed
    for word in words:
        assert word in err, err


@pytest.mark.parametrize("event, kind", [([{"httpMethod": "GET"}], "list"), ("GET", "str"), (None, "NoneType"),
                                         (42, "int")])
def test_an_event_that_is_not_an_object(app_dir, tmp_path, event, kind):
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    refused(invoke(app_dir, "--event", str(path)), "JSON object", kind)


def test_a_device_a_fifo_and_a_directory(app_dir, tmp_path):
    refused(invoke(app_dir, "--event", "/dev/zero"), "/dev/zero", "not a regular file")  # read forever before
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    refused(invoke(app_dir, "--event", str(fifo)), "not a regular file")  # blocked forever before
    refused(invoke(app_dir, "--event", str(tmp_path)), "Is a directory")


def test_over_lambdas_payload_limit_from_a_file_and_from_stdin(app_dir, tmp_path):
    big = tmp_path / "big.json"
    with big.open("w", encoding="utf-8") as handle:  # 100 MB: read whole into memory before
        handle.write('{"body": "')
        chunk = "x" * (1024 * 1024)
        for _ in range(100):
            handle.write(chunk)
        handle.write('"}')
    refused(invoke(app_dir, "--event", str(big)), "6,291,456-byte")
    with open("/dev/zero", "rb") as zero:
        refused(invoke(app_dir, "--event", "-", stdin=zero), "stdin", "6,291,456-byte")


def test_binary_file(app_dir, tmp_path):
    path = tmp_path / "event.bin"
    path.write_bytes(bytes(range(256)) * 8)
    refused(invoke(app_dir, "--event", str(path)), "cannot read it")


def test_an_event_just_under_the_limit_still_runs(app_dir, tmp_path):
    path = tmp_path / "event.json"
    event = {"httpMethod": "POST", "path": "/echo", "resource": "/echo", "body": "y" * (5 * 1024 * 1024)}
    path.write_text(json.dumps(event), encoding="utf-8")
    result = invoke(app_dir, "--event", str(path))
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["statusCode"] == 201  # the echo app answers a POST with 201


@pytest.fixture(scope="module")
def events_app(tmp_path_factory):
    root = make_app(tmp_path_factory.mktemp("invoke-events") / "shop")
    for name in ("audit", "tick"):
        (root / "app" / "functions" / name).mkdir()
        (root / "app" / "functions" / name / "__init__.py").write_text("")
        (root / "app" / "functions" / name / "handler.py").write_text("")
    with (root / "tight.yml").open("a") as handle:  # functions: is the file's last section
        handle.write("  audit: {type: dynamodb_stream, table: Account}\n  tick: {type: schedule, schedule: rate(1 hour)}\n")
    return root


@pytest.mark.parametrize("function", ["audit", "tick"])
def test_a_body_of_json_nested_too_deeply_is_a_usage_error(events_app, function):
    result = subprocess.run([sys.executable, "-m", "tight_tasks", "local.invoke", function, "--no-db",
                             "--body", "[" * 5000 + "]" * 5000], cwd=events_app, capture_output=True, text=True,
                            timeout=120, check=False, env=clean_env())
    assert result.returncode == 2, result.stderr[-1000:]  # was 1 with a RecursionError traceback
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr[-1000:]
    assert "nested too deeply" in result.stderr


def test_an_event_nested_100000_deep_is_one_line(app_dir, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text('{"a":' * 100_000 + "1" + "}" * 100_000, encoding="utf-8")  # a RecursionError traceback before
    refused(invoke(app_dir, "--event", str(deep)), f"--event {deep}: its JSON is nested too deeply to read")


def test_event_from_stdin_when_descriptor_0_is_closed(app_dir):
    result = subprocess.run([sys.executable, "-m", "tight_tasks", "local.invoke", "echo", "--event", "-", "--no-db"],
                            cwd=app_dir, capture_output=True, timeout=120, check=False, env=clean_env(),
                            preexec_fn=lambda: os.close(0))  # an AttributeError traceback before
    refused(result, "--event stdin: cannot read it (stdin is closed: pipe the event in, e.g. --event - < event.json)")


def test_an_event_the_function_does_not_handle_fails_without_a_traceback(app_dir, tmp_path):
    path = tmp_path / "sqs.json"
    path.write_text(json.dumps({"Records": [{"messageId": "m1", "receiptHandle": "r", "body": "{}",
                                             "attributes": {}, "messageAttributes": {}, "md5OfBody": "x",
                                             "eventSource": "aws:sqs", "awsRegion": "eu-west-1",
                                             "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:q"}]}))
    result = invoke(app_dir, "--event", str(path))
    err = result.stderr.decode()
    assert result.returncode == 1 and result.stdout == b""
    assert "function 'echo' handles HTTP requests, but got an SQS event" in err and "Traceback" not in err
