"""Cold start of a function whose environment holds an ``ssm:`` reference, resolved by tight's runtime,
against a hand-written handler that reads the same parameter with boto3 itself (both against moto's server,
in a new process with the same interpreter and site-packages)."""
from __future__ import annotations

import json
import subprocess

from .bench_deploy import moto_env
from .common import PY, Figure, generated_app, median_interleaved, wall

PARAMETER = "/svc/bench/db-password"

HAND_WRITTEN = f'''\
import json

import boto3

PASSWORD = boto3.client("ssm").get_parameter(Name="{PARAMETER}", WithDecryption=True)["Parameter"]["Value"]


def handler(event, context):
    return {{"statusCode": 200,
            "headers": {{"Access-Control-Allow-Origin": "*", "Content-Type": "application/json"}},
            "body": json.dumps({{"hello": "world"}}, separators=(",", ":"))}}
'''

CALL = ("import sys; sys.path.insert(0, ''); import {module}; "
        "r = {module}.{function}({{'httpMethod': 'GET'}}, None); assert r['statusCode'] == 200, r")


def run(tmp):
    root = generated_app(tmp, ["hello"], HAND_WRITTEN)
    (root / "tight_env.json").write_text(json.dumps({"NAME": "svc", "STAGE": "dev",
                                                     "DB_PASSWORD": f"ssm:{PARAMETER}"}), encoding="utf-8")
    server, env = moto_env(tmp)
    try:
        import boto3

        env["AWS_DEFAULT_REGION"] = env["AWS_REGION"]
        boto3.client("ssm", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_REGION"],
                     aws_access_key_id="testing", aws_secret_access_key="testing").put_parameter(
            Name=PARAMETER, Value="s3cr3t", Type="SecureString")
        check = subprocess.run([PY, "-c", "import os, app_index; print(os.environ['DB_PASSWORD'])"], cwd=root,
                               env=env, capture_output=True, text=True, check=True)
        assert check.stdout.strip() == "s3cr3t", check.stderr  # measured: a resolved reference, not a failed one
        tight_argv = [PY, "-c", CALL.format(module="app_index", function="hello")]
        hand_argv = [PY, "-c", CALL.format(module="hand_written", function="handler")]
        cold, hand = median_interleaved(lambda: wall(tight_argv, cwd=root, env=env),
                                        lambda: wall(hand_argv, cwd=root, env=env))
        yield Figure("cold start with an ssm: reference resolved by the runtime (moto server)", cold,
                     "hand-written handler calling ssm.get_parameter at import", hand, target=1.3)
    finally:
        server.stop()
