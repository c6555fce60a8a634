"""The tight runtime: Lambda cold start of a generated function, and per-request dispatch cost.

Both against a hand-written handler with no framework, measured side by side:

- cold start: a new process imports the entry point and answers one real-shaped REST
  GET (tests/runtime/events/rest_v1.json). tight: an app made by ``tight generate.app``
  + ``generate.function hello``, its runtime vendored as ``pip.install`` does, with the
  ``tight_env.json`` an artifact carries; the interpreter runs with ``-S -I`` (no
  site-packages: only the zip's contents, as on Lambda). Target <= 1.5x.
- dispatch: one GET through ``lambda_proxy.dispatch`` in a warm process vs the
  hand-written handler building the same response. Target <= 5x.
"""
from __future__ import annotations

import json
import sys
import timeit
from pathlib import Path

from .common import PY, REPO, RUNS, Figure, generated_app, median_interleaved, wall

EVENTS = REPO / "tests" / "runtime" / "events"

HAND_WRITTEN = '''\
import json


def handler(event, context):
    if event.get("httpMethod") != "GET":
        return {"statusCode": 405, "headers": {"Allow": "GET"}, "body": ""}
    return {"statusCode": 200,
            "headers": {"Access-Control-Allow-Origin": "*", "Content-Type": "application/json"},
            "body": json.dumps({"hello": "world"}, separators=(",", ":"))}
'''

CALL = ("import sys; sys.path.insert(0, ''); import json, {module}; "
        "r = {module}.{function}(json.loads(sys.argv[1]), None); assert r['statusCode'] == 200, r")


def run(tmp: Path):
    root = generated_app(tmp, ["hello"], HAND_WRITTEN)
    event = json.loads((EVENTS / "rest_v1.json").read_text(encoding="utf-8"))
    event["body"] = None  # a plain GET
    arg = json.dumps(event)
    env = {"PATH": "/usr/bin:/bin", "AWS_EC2_METADATA_DISABLED": "true"}
    tight_argv = [PY, "-S", "-I", "-c", CALL.format(module="app_index", function="hello"), arg]
    hand_argv = [PY, "-S", "-I", "-c", CALL.format(module="hand_written", function="handler"), arg]
    cold, hand = median_interleaved(lambda: wall(tight_argv, cwd=root, env=env),
                                    lambda: wall(hand_argv, cwd=root, env=env))
    yield Figure("cold start: new process + import + one GET of a generated function", cold,
                 "hand-written handler, no framework", hand, target=1.5)

    sys.path.insert(0, str(root / "app" / "vendored"))  # the same runtime the app ships
    import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy

    def get_handler(*args, **kwargs):
        return {"statusCode": 200, "body": {"hello": "world"}}

    get_handler.__module__ = "app.functions.bench_controller.handler"
    lambda_proxy.get(get_handler)
    namespace = {}
    exec(HAND_WRITTEN, namespace)  # noqa: S102 - the baseline handler, defined above
    direct = namespace["handler"]
    assert lambda_proxy.dispatch("bench_controller", event, None)["body"] == direct(event, None)["body"]

    number = 20000
    tight_timer = timeit.Timer(lambda: lambda_proxy.dispatch("bench_controller", event, None))
    hand_timer = timeit.Timer(lambda: direct(event, None))
    samples = [(tight_timer.timeit(number), hand_timer.timeit(number)) for _ in range(RUNS)]  # interleaved
    dispatch = min(t for t, _ in samples) / number
    baseline = min(h for _, h in samples) / number
    yield Figure("dispatch of a real REST GET (per request)", dispatch * 1e6, "hand-written handler",
                 baseline * 1e6, unit="us", target=5)
