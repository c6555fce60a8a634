"""local.invoke builds a sample event for each non-HTTP type; local.serve lists those functions as not served."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import clean_env, run_tight


@pytest.fixture(scope="module")
def event_app(tmp_path_factory) -> Path:
    parent = tmp_path_factory.mktemp("local_events")
    assert run_tight("generate.app", "shop", cwd=parent).returncode == 0
    root = parent / "shop"
    for command in (["generate.model", "account"], ["generate.function", "api"],
                    ["generate.function", "orders", "--type", "sqs"],
                    ["generate.function", "nightly", "--type", "schedule"],
                    ["generate.function", "thumbnails", "--type", "s3"],
                    ["generate.function", "audit", "--type", "dynamodb_stream"],
                    ["generate.env"]):
        result = run_tight(*command, cwd=root)
        assert result.returncode == 0, result.stdout + result.stderr
    # Handlers that show what they got, so the test sees the sample event through the runtime.
    functions = root / "app" / "functions"
    (functions / "orders" / "handler.py").write_text(
        "import tight.providers.aws.controllers.sqs_event as sqs_event\n\n"
        "@sqs_event.message\ndef handle(body, record):\n"
        "    if body == 'fail':\n        raise ValueError('refused')\n"
        "    print('ORDER', repr(body), record['eventSourceARN'])\n")
    (functions / "thumbnails" / "handler.py").write_text(
        "import tight.providers.aws.controllers.s3_event as s3_event\n\n"
        "@s3_event.object\ndef handle(bucket, key, size, event_name):\n"
        "    print('OBJECT', bucket, repr(key), size, event_name)\n")
    (functions / "audit" / "handler.py").write_text(
        "import tight.providers.aws.controllers.dynamodb_stream_event as dynamodb_stream_event\n\n"
        "@dynamodb_stream_event.record\ndef handle(event_name, keys, new_image):\n"
        "    print('CHANGE', event_name, keys, new_image)\n")
    return root


def invoke(root: Path, *args: str) -> subprocess.CompletedProcess:
    return run_tight("local.invoke", *args, "--no-db", cwd=root)


def test_sqs_sample_event_and_partial_failure(event_app):
    default = invoke(event_app, "orders")
    assert default.returncode == 0, default.stderr
    assert json.loads(default.stdout) == {"batchItemFailures": []}
    assert "ORDER 'Hello from tight local.invoke' arn:aws:sqs:" in default.stderr
    assert ":shop-dev-orders" in default.stderr
    body = invoke(event_app, "orders", "--body", '{"order_id": 7}')
    assert "ORDER {'order_id': 7}" in body.stderr
    failed = invoke(event_app, "orders", "--body", "fail")
    assert failed.returncode == 0, failed.stderr
    assert len(json.loads(failed.stdout)["batchItemFailures"]) == 1
    assert "ValueError: refused" in failed.stderr


def test_s3_sample_event_with_a_key_needing_encoding(event_app):
    default = invoke(event_app, "thumbnails")
    assert json.loads(default.stdout) == {"processed": 1}
    assert "OBJECT shop-dev-thumbnails-uploads 'uploads/example.txt' 1024 ObjectCreated:Put" in default.stderr
    keyed = invoke(event_app, "thumbnails", "--body", "uploads/my photo (1).jpg")
    assert "'uploads/my photo (1).jpg'" in keyed.stderr


def test_stream_sample_event_with_a_new_image(event_app):
    result = invoke(event_app, "audit", "--body", '{"id": "a1", "visits": 3}')
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"batchItemFailures": []}
    assert "CHANGE INSERT {'id': 'a1'} {'id': 'a1', 'visits': 3}" in result.stderr
    bad = invoke(event_app, "audit", "--body", "not json")
    assert bad.returncode == 2 and "must be JSON" in bad.stderr and "Traceback" not in bad.stderr


def test_schedule_sample_event(event_app):
    result = invoke(event_app, "nightly")
    assert result.returncode == 0, result.stderr
    assert set(json.loads(result.stdout)) == {"ran_at"}


def test_http_flags_refused_for_event_functions(event_app):
    result = invoke(event_app, "orders", "--method", "POST")
    assert result.returncode == 2 and "orders is a sqs function" in result.stderr


def test_serve_lists_event_functions_as_not_served(event_app):
    proc = subprocess.Popen([sys.executable, "-m", "tight_tasks", "local.serve", "--port", "0", "--no-db",
                             "--no-reload"], cwd=event_app, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=clean_env())
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line.rstrip())
            if "Press Ctrl-C" in line or len(lines) > 50:
                break
        banner = "\n".join(lines)
        assert "  audit (dynamodb_stream): not served over HTTP" in banner, banner
        for name, kind in (("orders", "sqs"), ("thumbnails", "s3")):  # no engine (--no-db): no queue, no bucket
            assert f"  {name} ({kind}): not served over HTTP; try `tight local.invoke {name}`" in banner
        assert "  nightly (schedule): " in banner and "; run now: POST /_tight/schedules/nightly" in banner
        assert "-> api" in banner and "-> orders" not in banner
        base = next(line.split()[2] for line in lines if line.startswith("Listening on"))
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{base}/orders", timeout=30)
        assert missing.value.code == 403  # API Gateway's REST answer to a path with no route
        with urllib.request.urlopen(f"{base}/api", timeout=30) as ok:
            assert ok.status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
