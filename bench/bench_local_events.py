"""local.serve's event sources and dashboard: delivery latency and the dashboard's cost.

- A message sent by a handler (``queues.send``) reaches its sqs consumer: median seconds from the
  send to the consumer's start (target <= 250 ms), against a plain boto3 send + long-poll receive
  on a queue of the same engine (what SQS itself takes there).
- A table write (boto3 ``put_item`` from outside the app) reaches its stream function: median
  seconds from before the write to the function's start (target <= 500 ms), against the write alone.
- Request latency (p50 of a hello GET over keep-alive) with the dashboard open (a client polling
  ``/_tight/api/state`` every second, as the page does) against the same server without it
  (target <= 1.05x), blocks alternated in one run.
"""
from __future__ import annotations

import http.client
import json
import statistics
import sys
import threading
import time
from pathlib import Path

from .bench_dynamo import free_port, tight_command
from .bench_local import HELLO, get_times, start, stop
from .common import REPO, RUNS, Figure

sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "local"))
from local_apps import ACCOUNT, APP_INDEX, write

TIGHT_YML = """\
name: shop
functions:
  send:
    uses: [orders]
  orders:
    type: sqs
  audit:
    type: dynamodb_stream
    table: Account
"""
SEND = '''\
import time
import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy
from tight.providers.aws.clients import queues


@lambda_proxy.post
def post_handler():
    queues.send("orders", {"t": time.time()})
    return {"statusCode": 202, "body": {}}
'''
ORDERS = '''\
import time
import tight.providers.aws.controllers.sqs_event as sqs_event


@sqs_event.message
def handle(body):
    with open("queue.txt", "a") as out:
        out.write(f"{time.time() - body['t']}\\n")
'''
AUDIT = '''\
import time
import tight.providers.aws.controllers.dynamodb_stream_event as stream


@stream.record
def handle(record):
    if record["eventName"] == "INSERT":
        with open("stream.txt", "a") as out:
            out.write(f"{time.time() - float(record['dynamodb']['NewImage']['owner']['S'])}\\n")
'''
SAMPLES = 20
BLOCK = 2000  # about a second of requests


def events_app(tmp: Path) -> Path:
    root = tmp / "shop"
    write(root / "tight.yml", TIGHT_YML)
    write(root / "env.yml", "CI: false\nNAME: shop\nSTAGE: dev\n")
    write(root / "app_index.py", APP_INDEX)
    for package in ("app", "app/functions", "app/models"):
        write(root / package / "__init__.py", "")
    write(root / "app" / "models" / "Account.py", ACCOUNT)
    for name, source in (("send", SEND), ("orders", ORDERS), ("audit", AUDIT), ("hello", HELLO)):
        write(root / "app" / "functions" / name / "__init__.py", "")
        write(root / "app" / "functions" / name / "handler.py", source)
    return root


def wait_lines(path: Path, count: int, timeout: float = 30) -> list[float]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = path.read_text().split() if path.exists() else []
        if len(lines) >= count:
            return [float(x) for x in lines[:count]]
        time.sleep(0.02)
    raise RuntimeError(f"only {path.read_text().split() if path.exists() else []} in {path}")


def clients(endpoint: str):
    import boto3

    session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return session.client("sqs", endpoint_url=endpoint), session.client("dynamodb", endpoint_url=endpoint)


def queue_figures(root: Path, port: int, sqs) -> tuple[float, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(SAMPLES):
        connection.request("POST", "/send", body=b"{}", headers={"Content-Type": "application/json"})
        assert connection.getresponse().read() is not None
        time.sleep(0.1)
    tight = statistics.median(wait_lines(root / "queue.txt", SAMPLES))
    url = sqs.create_queue(QueueName="bench-plain")["QueueUrl"]
    plain = []
    for _ in range(SAMPLES):
        started = time.time()
        sqs.send_message(QueueUrl=url, MessageBody="x")
        message = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"][0]
        plain.append(time.time() - started)
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return tight, statistics.median(plain)


def stream_figures(root: Path, dynamodb) -> tuple[float, float]:
    writes = []
    for n in range(SAMPLES):
        started = time.time()
        dynamodb.put_item(TableName="shop-dev-accounts", Item={"id": {"S": f"b{n}"}, "owner": {"S": repr(started)}})
        writes.append(time.time() - started)
        time.sleep(0.1)
    return statistics.median(wait_lines(root / "stream.txt", SAMPLES)), statistics.median(writes)


def dashboard_figures(port: int) -> tuple[float, float]:
    """p50 GET /hello with and without a client polling the dashboard's state every second.

    The blocks (about a second each) alternate many times, so the machine's own noise falls on both.
    """
    open_now, done = threading.Event(), threading.Event()

    def poll() -> None:
        connection, since = http.client.HTTPConnection("127.0.0.1", port, timeout=30), 0
        while not done.is_set():
            if open_now.wait(0.05):
                connection.request("GET", f"/_tight/api/state?since={since}")
                found = json.loads(connection.getresponse().read())["invocations"]
                since = found[-1]["id"] if found else since
                done.wait(1)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    without, with_open = [], []
    for _ in range(RUNS * 3):
        open_now.clear()
        without += get_times(port, BLOCK)
        open_now.set()
        with_open += get_times(port, BLOCK)
    done.set()
    poller.join(5)
    return statistics.median(with_open), statistics.median(without)


def run(tmp):
    root = events_app(tmp)
    port = free_port()
    server = start([*tight_command(), "local.serve", "--port", str(port), "--no-reload"], root, port)
    try:
        sqs, dynamodb = clients(endpoint_of(port))
        queue, plain = queue_figures(root, port, sqs)
        stream, write_time = stream_figures(root, dynamodb)
        opened, closed = dashboard_figures(port)
    finally:
        stop(server)
    yield Figure("handler's queues.send -> sqs consumer start", queue * 1000, "plain boto3 send + long-poll receive",
                 plain * 1000, unit=" ms", runs=SAMPLES)
    print(f"  target <= 250 ms: {'ok' if queue <= 0.25 else 'MISSED'}", flush=True)
    yield Figure("table write -> stream function start", stream * 1000, "the put_item alone", write_time * 1000,
                 unit=" ms", runs=SAMPLES)
    print(f"  target <= 500 ms: {'ok' if stream <= 0.5 else 'MISSED'}", flush=True)
    yield Figure("local.serve p50 GET, dashboard open", opened * 1000, "same server, dashboard closed",
                 closed * 1000, unit=" ms", target=1.05, runs=RUNS * 3 * BLOCK)


def endpoint_of(port: int) -> str:
    """The embedded engine's endpoint, as the dashboard's state gives it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/_tight/api/state")
    return json.loads(connection.getresponse().read())["endpoint"]
