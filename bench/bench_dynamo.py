"""dynamo.rundb time-to-ready and dynamo.generateschema scaling.

rundb: from starting ``tight dynamo.rundb`` (embedded engine) to its banner
("Press Ctrl-C to stop.", tables created), for 1 and 20 models, against a bare
``moto_server`` started and sent one CreateTable in the same run (target <= 1.3x).

rundb --keep: time to ready with a saved snapshot of 1,000 items, and time from
SIGINT to exit (the save), against the same app without --keep.

generateschema: 10, 100 and 1000 generated models (target: linear, 1000 in <= 3 s).
"""
from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .common import PY, REPO, RUNS, Figure, median_interleaved, wall

sys.path.insert(0, str(REPO / "tests" / "dynamo"))
from dynamo_apps import ACCOUNT, EVENT, make_app

MODEL = '''\
from flywheel import Model, Field
import os


class Thing{i}(Model):
    __metadata__ = {{
        '_name': '%s-%s-things-{i}' % (os.environ['NAME'], os.environ['STAGE']),
        'throughput': {{'read': 1, 'write': 1}},
    }}

    id = Field(type=str, hash_key=True)
    at = Field(type=int, range_key=True)
    kind = Field(type=str, index='by-kind')
'''


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TIGHT_"))}
    env.pop("PYTHONPATH", None)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tight_command() -> list[str]:
    script = Path(PY).parent / "tight"
    return [str(script)] if script.exists() else [PY, "-m", "tight_tasks"]


def rundb_times(app: Path, *args: str, port: int | None = None) -> tuple[float, float]:
    """(start to banner, SIGINT to exit) of ``tight dynamo.rundb --engine embedded ARGS``."""
    port = port or free_port()
    start = time.perf_counter()
    process = subprocess.Popen([*tight_command(), "dynamo.rundb", "--engine", "embedded", "--port", str(port), *args],
                               cwd=app, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env=child_env())
    for line in process.stdout:
        if line.strip() == "Press Ctrl-C to stop.":
            break
    else:
        raise RuntimeError("rundb exited before it was ready")
    elapsed = time.perf_counter() - start
    stopping = time.perf_counter()
    process.send_signal(signal.SIGINT)
    process.stdout.read()
    process.wait(60)
    if process.returncode != 0:
        raise RuntimeError(f"rundb exited with {process.returncode}")
    return elapsed, time.perf_counter() - stopping


def rundb_ready(app: Path) -> float:
    return rundb_times(app)[0]


def keep_app(tmp: Path, items: int) -> Path:
    """An app whose dynamo_db/ holds a --keep snapshot of ``items`` accounts (written by rundb itself)."""
    import boto3

    app = make_app(tmp / "keep", {"Account": ACCOUNT, "Event": EVENT})
    port = free_port()
    process = subprocess.Popen([*tight_command(), "dynamo.rundb", "--engine", "embedded", "--keep", "--port",
                                str(port)], cwd=app, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True, env=child_env())
    for line in process.stdout:
        if line.strip() == "Press Ctrl-C to stop.":
            break
    table = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1").resource(
        "dynamodb", endpoint_url=f"http://127.0.0.1:{port}").Table("my-service-dev-accounts")
    with table.batch_writer() as batch:
        for i in range(items):
            batch.put_item(Item={"id": f"account-{i:05d}", "name": f"Account {i}", "score": i, "tags": ["a", "b"],
                                 "profile": {"city": "Lisbon", "since": 2020 + i % 5}})
    process.send_signal(signal.SIGINT)
    out = process.stdout.read()
    process.wait(60)
    assert f"and {items} items" in out, out
    return app


def moto_ready() -> float:
    import boto3

    port = free_port()
    dynamodb = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x",
                                     region_name="us-east-1").client("dynamodb",
                                                                     endpoint_url=f"http://127.0.0.1:{port}")
    server = Path(PY).parent / "moto_server"
    start = time.perf_counter()
    process = subprocess.Popen([str(server), "-p", str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=child_env())
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError("moto_server exited") from None
                time.sleep(0.005)
        dynamodb.create_table(TableName="bench", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                              ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
        return time.perf_counter() - start
    finally:
        process.terminate()
        process.wait(30)


def app_with(tmp: Path, count: int) -> Path:
    return make_app(tmp / f"app{count}", {f"Thing{i:04d}": MODEL.format(i=i) for i in range(count)})


def run(tmp):
    for count in (1, 20):
        app = app_with(tmp, count)
        rundb, moto = median_interleaved(lambda app=app: rundb_ready(app), moto_ready)
        yield Figure(f"rundb ready, {count} model{'s' if count > 1 else ''}", rundb,
                     "moto_server + 1 CreateTable", moto, target=1.3)

    app = keep_app(tmp, 1000)
    samples = {"keep": [], "empty": []}

    def sample(name: str, *args: str) -> float:
        samples[name].append(rundb_times(app, *args))
        return samples[name][-1][0]

    keep, empty = median_interleaved(lambda: sample("keep", "--keep"), lambda: sample("empty"))
    yield Figure("rundb --keep ready, 1,000 items loaded", keep, "rundb ready without --keep (same app)", empty)
    stop_keep = statistics.median(s[1] for s in samples["keep"])
    stop_empty = statistics.median(s[1] for s in samples["empty"])
    yield Figure("rundb --keep stop, 1,000 items saved", stop_keep, "rundb stop without --keep", stop_empty)

    times = {}
    for count in (10, 100, 1000):
        app = app_with(tmp, count)
        runs = RUNS if count < 1000 else max(3, RUNS // 2)
        (times[count],) = median_interleaved(
            lambda app=app: wall([*tight_command(), "dynamo.generateschema"], cwd=app, env=child_env()), runs=runs)
        assert len(list((app / "schemas" / "dynamo").glob("*.yml"))) == count
    (startup,) = median_interleaved(lambda: wall([*tight_command(), "--list"], cwd=tmp, env=child_env()))
    for count in (10, 100, 1000):
        yield Figure(f"generateschema, {count} models", times[count], "tight --list (start-up)", startup,
                     target=3.0 / startup if count == 1000 else None)
    for low, high in ((10, 100), (100, 1000)):
        slope = (times[high] - times[low]) / (high - low) * 1000
        print(f"  generateschema marginal cost {low}->{high} models: {slope:.2f} ms per model", flush=True)
