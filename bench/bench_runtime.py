"""The tight runtime: Lambda cold start of a generated app, and per-request dispatch cost."""
from __future__ import annotations

import json
import sys
import timeit
from pathlib import Path

from .common import PY, REPO, RUNS, Figure, median_interleaved, wall

sys.path.insert(0, str(REPO / "tests" / "runtime"))
from runtime_helpers import GENERATED_HANDLER, make_app

# What any Lambda using flywheel does at import time (AWS advice: create clients outside the handler).
DEPS = ("import boto3, flywheel, dynamo3; flywheel.Engine(dynamo=dynamo3.DynamoDBConnection("
        "boto3.Session(region_name='us-east-1').client('dynamodb')))")


def run(tmp: Path):
    root = make_app(tmp / "svc", functions={"my_controller": GENERATED_HANDLER})
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "AWS_EC2_METADATA_DISABLED": "true"}
    cold, deps = median_interleaved(
        lambda: wall([PY, "-c", "import app_index"], cwd=root, env=env),
        lambda: wall([PY, "-c", DEPS], cwd=root, env=env),
    )
    yield Figure("cold start: import app_index (1 generated function)", cold,
                 "flywheel Engine on a boto3 DynamoDB client, by hand", deps)

    import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy

    def get_handler(*args, **kwargs):
        return {"statusCode": 200, "body": {"hello": "world"}}

    get_handler.__module__ = "app.functions.bench_controller.handler"
    lambda_proxy.get(get_handler)
    event = {"httpMethod": "GET", "headers": {"Accept": "application/json"}, "body": None}

    def direct():
        response = get_handler(event=event, context=None)
        return {"statusCode": 200, "headers": {"Access-Control-Allow-Origin": "*"},
                "body": json.dumps(response["body"], separators=(",", ":"))}

    number = 20000
    dispatch = min(timeit.repeat(lambda: lambda_proxy.dispatch("bench_controller", event, None),
                                 number=number, repeat=RUNS)) / number
    baseline = min(timeit.repeat(direct, number=number, repeat=RUNS)) / number
    yield Figure("dispatch of a GET (per request)", dispatch * 1e6, "hand-written handler + json.dumps",
                 baseline * 1e6, unit="us")
