"""Cold starts and per-request cost of a built artifact, as Lambda runs it.

An app made by ``tight generate.app`` + ``generate.function hello`` + ``generate.function item``
(a GET reading one item through ``generate.model item``), vendored by ``tight pip.install
--requirements`` and zipped by ``tight generate.artifact``; the zip is unpacked and run by a
Python 3.12 that has only boto3 (as Lambda's python3.12: isolated, ``-B``: bytecode never
written, the zip's own used), side by side with hand-written handlers beside it. Cold starts are
the CPU time (user + system) of the new process, steadier than wall time on a shared machine:

- hello vs a hand-written json+logging handler, new process + import + one GET (target <= 0.85x);
- GET of one item through the model vs a hand-written boto3 ``get_item``, new process, moto's
  server (target <= 1.0x);
- the zip's size against 400 KiB (target <= 1.0x);
- warm, per request, the model's get vs plain boto3 ``get_item``, with the network cut (both
  clients answered by a canned response in botocore's ``before-send``) (target <= 1.15x).

The dispatch figure of ``get_handler(*args, **kwargs)`` is bench_runtime's.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

from .bench_deploy import moto_env
from .common import PY, REPO, Figure, cpu, median_interleaved

ITEM_HANDLER = '''\
import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy
from tight.providers.aws.clients import dynamo_db

from app.models.Item import Item

db = dynamo_db.connect()
db.register(Item)


@lambda_proxy.get
def get_handler(*args, **kwargs):
    item = db.get(Item, id=kwargs['path_parameters']['id'])
    return {'statusCode': 200, 'body': {'id': item.id}}
'''

HAND_HELLO = '''\
import json
import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    logger.info("GET %s", event.get("path"))
    if event.get("httpMethod") != "GET":
        return {"statusCode": 405, "headers": {"Allow": "GET"}, "body": ""}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"hello": "world"}, separators=(",", ":"))}
'''

HAND_ITEM = '''\
import json
import os

import boto3

client = boto3.client("dynamodb")
TABLE = f"{os.environ['NAME']}-{os.environ['STAGE']}-items"


def handler(event, context):
    found = client.get_item(TableName=TABLE, Key={"id": {"S": event["pathParameters"]["id"]}})["Item"]
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"id": found["id"]["S"]}, separators=(",", ":"))}
'''

CALL = ("import sys; sys.path.insert(0, ''); import json, {module}; "
        "r = {module}.{function}(json.loads(sys.argv[1]), None); assert r['statusCode'] == 200, r")

WARM = '''\
import json, sys, timeit
sys.path.insert(0, "")
import app_index, boto3
from botocore.awsrequest import AWSResponse
from tight.providers.aws.clients import dynamo_db
from app.models.Item import Item

BODY = json.dumps({"Item": {"id": {"S": "a-1"}}}).encode()


class Raw:
    def stream(self, **kwargs):
        yield BODY


def canned(request, **kwargs):  # the network, cut: every GetItem answered here
    return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.0"}, Raw())


db = dynamo_db.connect()
db.register(Item)
plain = boto3.client("dynamodb")
for client in (dynamo_db.client(), plain):
    client.meta.events.register("before-send.dynamodb.GetItem", canned)
table = Item.meta_.ddb_tablename()
assert db.get(Item, id="a-1").id == plain.get_item(TableName=table, Key={"id": {"S": "a-1"}})["Item"]["id"]["S"]
model = timeit.Timer(lambda: db.get(Item, id="a-1"))
direct = timeit.Timer(lambda: plain.get_item(TableName=table, Key={"id": {"S": "a-1"}}))
samples = [(model.timeit(500), direct.timeit(500)) for _ in range(int(sys.argv[1]))]
print(json.dumps([min(m for m, _ in samples) / 500, min(d for _, d in samples) / 500]))
'''

ZIP_LIMIT = 400 * 1024


def build_app(tmp: Path) -> Path:
    """The app, vendored and zipped by tight (``builds/svc.zip``)."""
    env = dict(os.environ, HOME=str(tmp))
    for args, cwd in ((["generate.app", "svc"], tmp), (["generate.function", "hello"], tmp / "svc"),
                      (["generate.function", "item"], tmp / "svc"), (["generate.model", "item"], tmp / "svc"),
                      (["pip.install", "--requirements"], tmp / "svc"), (["generate.artifact"], tmp / "svc")):
        if args[0] == "pip.install":
            (tmp / "svc" / "app" / "functions" / "item" / "handler.py").write_text(ITEM_HANDLER)
        subprocess.run([PY, "-m", "tight_tasks", *args], cwd=cwd, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return tmp / "svc"


def lambda_python(tmp: Path) -> str:
    """A Python 3.12 venv with only boto3 (the runtime's packages), as Lambda's python3.12."""
    from tight_tasks._pip.bytecode import find_python

    python = find_python("3.12")
    if python is None:
        raise SystemExit("bench_coldstart needs a Python 3.12 (uv python install 3.12)")
    uv = shutil.which("uv", path=f"{Path(PY).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    venv = tmp / "py312"
    subprocess.run([uv, "venv", "-q", "--python", python, str(venv)], check=True)
    subprocess.run([uv, "pip", "install", "-q", "--compile-bytecode", "--python", str(venv / "bin" / "python"),
                    "boto3"], check=True)  # the runtime's packages come with their bytecode
    return str(venv / "bin" / "python")


def run(tmp: Path):
    root = build_app(tmp)
    zip_path = root / "builds" / "svc.zip"
    task = tmp / "task"
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(task)
    (task / "hand_hello.py").write_text(HAND_HELLO)
    (task / "hand_item.py").write_text(HAND_ITEM)
    python = lambda_python(tmp)
    subprocess.run([python, "-m", "compileall", "-q", str(task / "hand_hello.py"), str(task / "hand_item.py")],
                   check=True)  # the baselines get bytecode too
    for path in task.rglob("*"):
        path.chmod(0o555 if path.is_dir() else 0o444)  # read-only, as /var/task

    rest = json.loads((REPO / "tests" / "runtime" / "events" / "rest_v1.json").read_text(encoding="utf-8"))
    get = dict(rest, body=None, pathParameters={"id": "a-1"})
    env = {"PATH": "/usr/bin:/bin", "AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": "us-east-1",
           "AWS_DEFAULT_REGION": "us-east-1"}  # Lambda sets both

    def cold(module, function, environ):
        return cpu([python, "-I", "-B", "-c", CALL.format(module=module, function=function), json.dumps(get)],
                   cwd=task, env=environ)

    tight_hello, hand_hello = median_interleaved(lambda: cold("app_index", "hello", env),
                                                 lambda: cold("hand_hello", "handler", env))
    yield Figure("cold start, hello from the artifact (Python 3.12, boto3 only, bytecode read-only)", tight_hello,
                 "hand-written json+logging handler", hand_hello, target=0.85)

    server, moto = moto_env(tmp)
    try:
        moto_run = dict(env, **{k: v for k, v in moto.items() if k.startswith("AWS_")}, NAME="svc", STAGE="dev")
        import boto3

        boto3.client("dynamodb", endpoint_url=moto["AWS_ENDPOINT_URL"], region_name="us-east-1",
                     aws_access_key_id="testing", aws_secret_access_key="testing").create_table(
            TableName="svc-dev-items", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        boto3.client("dynamodb", endpoint_url=moto["AWS_ENDPOINT_URL"], region_name="us-east-1",
                     aws_access_key_id="testing", aws_secret_access_key="testing").put_item(
            TableName="svc-dev-items", Item={"id": {"S": "a-1"}})
        tight_item, hand_item = median_interleaved(lambda: cold("app_index", "item", moto_run),
                                                   lambda: cold("hand_item", "handler", moto_run))
        yield Figure("cold start, GET of one item through a model (moto server)", tight_item,
                     "hand-written boto3 get_item", hand_item, target=1.0)
    finally:
        server.stop()

    size = zip_path.stat().st_size
    yield Figure("zip of the hello + model app, with bytecode", size / 1024, "400 KiB", ZIP_LIMIT / 1024,
                 unit=" KiB", target=1.0, runs=1)

    runs = int(os.environ.get("BENCH_RUNS", "7"))
    out = subprocess.run([python, "-I", "-B", "-c", WARM, str(runs)], cwd=task, capture_output=True, text=True,
                         check=True, env=dict(env, NAME="svc", STAGE="dev", AWS_ACCESS_KEY_ID="testing",
                                              AWS_SECRET_ACCESS_KEY="testing"))
    model, direct = json.loads(out.stdout)
    yield Figure("warm model get, per request, network cut", model * 1e6, "plain boto3 get_item", direct * 1e6,
                 unit="us", target=1.15, runs=runs)
