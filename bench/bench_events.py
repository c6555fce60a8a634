"""Event-driven functions: Lambda cold start of a generated SQS consumer, and per-message dispatch cost.

Both against a hand-written SQS handler with no framework (a loop over the records,
``json.loads`` of each body, the partial batch response), measured side by side:

- cold start: a new process (``-S -I``: only what the zip carries, as on Lambda) imports
  the entry point and handles one 10-message batch (tests/events/sqs.json's records).
  tight: an app made by ``tight generate.app`` + ``generate.function orders --type sqs``,
  its runtime vendored as ``pip.install`` does. Target <= 1.5x (as for HTTP functions).
- dispatch: the same batch through ``sqs_event.dispatch`` in a warm process vs the
  hand-written handler, per message. Target <= 5x (as for HTTP functions).
"""
from __future__ import annotations

import json
import sys
import timeit
from pathlib import Path

from .common import PY, REPO, RUNS, Figure, generated_app, median_interleaved, wall

EVENTS = REPO / "tests" / "events"

HAND_WRITTEN = '''\
import json


def handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            body = record["body"]
            try:
                body = json.loads(body)
            except ValueError:
                pass
            handle(body, record)
        except Exception:
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def handle(body, record):
    return body
'''

CALL = ("import sys; sys.path.insert(0, ''); import json, {module}; "
        "r = {module}.{function}(json.loads(sys.argv[1]), None); assert r == {{'batchItemFailures': []}}, r")


def batch(size: int = 10) -> dict:
    records = json.loads((EVENTS / "sqs.json").read_text(encoding="utf-8"))["Records"]
    chosen = [dict(records[i % len(records)], messageId=f"m-{i}") for i in range(size)]
    return {"Records": chosen}


def run(tmp: Path):
    root = generated_app(tmp, ["orders", "--type", "sqs"], HAND_WRITTEN)
    event = batch()
    arg = json.dumps(event)
    env = {"PATH": "/usr/bin:/bin", "AWS_EC2_METADATA_DISABLED": "true"}
    tight_argv = [PY, "-S", "-I", "-c", CALL.format(module="app_index", function="orders"), arg]
    hand_argv = [PY, "-S", "-I", "-c", CALL.format(module="hand_written", function="handler"), arg]
    cold, hand = median_interleaved(lambda: wall(tight_argv, cwd=root, env=env),
                                    lambda: wall(hand_argv, cwd=root, env=env))
    yield Figure("cold start: new process + import + one 10-message SQS batch of a generated function", cold,
                 "hand-written SQS handler, no framework", hand, target=1.5)

    sys.path.insert(0, str(root / "app" / "vendored"))  # the same runtime the app ships
    from tight.providers.aws.controllers import sqs_event

    def handle_message(body, record, **kwargs):
        return body

    handle_message.__module__ = "app.functions.bench_queue.handler"
    sqs_event.message(handle_message)
    namespace: dict = {}
    exec(HAND_WRITTEN, namespace)  # noqa: S102 - the baseline handler, defined above
    direct = namespace["handler"]
    assert sqs_event.dispatch("bench_queue", event, None) == direct(event, None)

    number = 2000
    dispatch = min(timeit.repeat(lambda: sqs_event.dispatch("bench_queue", event, None),
                                 number=number, repeat=RUNS)) / number / len(event["Records"])
    baseline = min(timeit.repeat(lambda: direct(event, None), number=number, repeat=RUNS)) / number / len(
        event["Records"])
    yield Figure("dispatch of an SQS message (per message, 10-message batches)", dispatch * 1e6,
                 "hand-written SQS handler", baseline * 1e6, unit="us", target=5)
