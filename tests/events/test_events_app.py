"""Event-source functions through a real app's ``app_index`` (in a fresh interpreter), and the import rules."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import REPO, clean_env
from events_helpers import HERE

HANDLERS = {
    "orders": '''
        import tight.providers.aws.controllers.sqs_event as sqs_event

        @sqs_event.message
        def handle(body, record):
            if not isinstance(body, dict):
                raise ValueError("not an order")
    ''',
    "nightly": '''
        import tight.providers.aws.controllers.schedule_event as schedule_event

        @schedule_event.handler
        def tick(time, detail):
            return {"ran_at": time}
    ''',
    "uploads": '''
        import tight.providers.aws.controllers.s3_event as s3_event

        SEEN = []

        @s3_event.object
        def handle(bucket, key, size, event_name):
            SEEN.append(key)
    ''',
    "accounts_stream": '''
        import tight.providers.aws.controllers.dynamodb_stream_event as dynamodb_stream_event

        @dynamodb_stream_event.record
        def handle(event_name, keys, new_image, old_image):
            if event_name == "REMOVE":
                raise RuntimeError("archive unavailable")
    ''',
}

PROBE = '''
import json, sys
import app_index
from app.functions.uploads import handler as uploads
events = {name: json.load(open(f"{sys.argv[1]}/{name}.json")) for name in
          ("sqs", "schedule", "s3_put", "dynamodb_stream", "api_gateway_rest")}
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"boto3", "botocore", "flywheel", "yaml"})
try:
    app_index.orders(events["api_gateway_rest"], None)
except Exception as exc:  # the queue must not delete a batch the function did not handle
    wrong = [type(exc).__name__, str(exc)]
else:
    wrong = "returned normally"
print(json.dumps({
    "orders": app_index.orders(events["sqs"], None),
    "nightly": app_index.nightly(events["schedule"], None),
    "uploads": app_index.uploads(events["s3_put"], None),
    "keys": uploads.SEEN,
    "stream": app_index.accounts_stream(events["dynamodb_stream"], None),
    "wrong": wrong,
    "heavy": heavy,
}))
'''


def make_app(root: Path) -> Path:
    (root / "app" / "functions").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "functions" / "__init__.py").write_text("")
    for name, source in HANDLERS.items():
        package = root / "app" / "functions" / name
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "handler.py").write_text(textwrap.dedent(source))
    (root / "app_index.py").write_text(
        "from tight.providers.aws.lambda_app import app as lambda_app\nlambda_app.run()\n")
    return root


def test_app_index_routes_each_function_to_its_event_source(tmp_path):
    root = make_app(tmp_path)
    result = subprocess.run([sys.executable, "-c", PROBE, str(HERE)], cwd=root, capture_output=True, text=True,
                            env=clean_env(PYTHONPATH=str(REPO)), timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["orders"] == {"batchItemFailures": [{"itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da"}]}
    assert out["nightly"] == {"ran_at": "2026-11-26T14:05:00Z"}
    assert out["uploads"] == {"processed": 1}
    assert out["keys"] == ["incoming/holiday photos/café (2).jpg"]
    assert out["stream"] == {"batchItemFailures": [{"itemIdentifier": "333000000000000000000003"}]}
    message = "function 'orders' handles SQS messages, but got an API Gateway REST (1.0) event"
    assert out["wrong"][0] == "WrongEventType" and out["wrong"][1].startswith(message)
    assert result.stderr.count(message) == 1  # one log line
    assert "Traceback" not in result.stderr.split("archive unavailable")[-1]
    assert out["heavy"] == []  # no boto3 (DynamoDB JSON is read with the standard library)


def test_controllers_import_nothing_they_do_not_need_at_cold_start():
    code = (f"import sys; sys.path.insert(0, {str(REPO)!r})\n"
            "from tight.providers.aws.controllers import sqs_event, s3_event, schedule_event, dynamodb_stream_event\n"
            "print(sorted(m for m in ('typing', 'logging', 'inspect', 'decimal', 'base64', 'urllib.parse',\n"
            "             'tight.providers.aws.controllers.lambda_proxy_event') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-S", "-I", "-c", code], capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
