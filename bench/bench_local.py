"""local.serve: throughput vs ``chalice local``, latency added over a direct call, time to the first 200.

- Requests per second for a hello GET over one keep-alive connection (one client,
  ``http.client``), ``tight local.serve`` vs ``chalice local`` serving the same
  handler logic (chalice comes with the ``bench`` extra). Target >= 1x.
- p50 of that GET vs p50 of calling ``app_index.hello(event, None)`` directly in
  this process; the difference is what the server adds (target <= 1 ms).
- From starting ``tight local.serve`` to its first 200, vs ``tight dynamo.rundb``
  (embedded engine) ready time on the same app, in the same run (target <= 1.3x).
"""
from __future__ import annotations

import http.client
import json
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .bench_dynamo import child_env, free_port, rundb_ready, tight_command
from .common import PY, REPO, RUNS, Figure, median_interleaved, wall

sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "local"))
from local_apps import make_app, write

HELLO = '''\
import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy


@lambda_proxy.get
def get_handler(*args, **kwargs):
    return {'statusCode': 200, 'body': {'hello': 'world'}}
'''

CHALICE_APP = '''\
from chalice import Chalice

app = Chalice(app_name="hello")


@app.route("/hello")
def hello():
    return {"hello": "world"}
'''

REQUESTS = 2000


def hello_app(tmp: Path) -> Path:
    root = make_app(tmp / "shop")
    write(root / "app" / "functions" / "hello" / "__init__.py", "")
    write(root / "app" / "functions" / "hello" / "handler.py", HELLO)
    return root


def chalice_app(tmp: Path) -> Path:
    root = tmp / "chalice_hello"
    write(root / "app.py", CHALICE_APP)
    write(root / ".chalice" / "config.json", json.dumps({"version": "2.0", "app_name": "hello",
                                                          "stages": {"dev": {"api_gateway_stage": "api"}}}))
    return root


def start(argv: list[str], cwd: Path, port: int) -> subprocess.Popen:
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=child_env())
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/hello")
            if connection.getresponse().status == 200:
                connection.close()
                return process
        except OSError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"{argv} exited with {process.returncode}")
        time.sleep(0.01)


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def get_times(port: int, count: int) -> list[float]:
    """Seconds per GET /hello over one keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.connect()
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        connection.request("GET", "/hello")
        response = connection.getresponse()
        body = response.read()
        times.append(time.perf_counter() - started)
        assert response.status == 200 and b"world" in body, (response.status, body)
    connection.close()
    return times


def fresh_connection_rate(port: int, count: int) -> float:
    """Requests per second with a new connection per GET (no keep-alive)."""
    started = time.perf_counter()
    for _ in range(count):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/hello", headers={"Connection": "close"})
        assert connection.getresponse().read()
        connection.close()
    return count / (time.perf_counter() - started)


def direct_times(root: Path, count: int) -> list[float]:
    """Seconds per ``app_index.hello(event, None)`` call in a child process (no server)."""
    code = f'''
import json, os, sys, time
sys.path.insert(0, {str(root)!r}); os.chdir({str(root)!r})
os.environ.update(NAME="shop", STAGE="dev")
sys.path.insert(0, {str(REPO)!r})
from tight.dev.gateway import Request, build_event
from tight.dev.routes import Match, Route
import app_index
event = build_event(Request("GET", "/hello", headers=(("Host", "127.0.0.1"),)), Match(Route("hello", "/hello"), {{}}))
times = []
for _ in range({count}):
    t = time.perf_counter(); r = app_index.hello(event, None); times.append(time.perf_counter() - t)
    assert r["statusCode"] == 200
print(json.dumps(times))
'''
    result = subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True, env=child_env())
    return json.loads(result.stdout)


def first_200(root: Path) -> float:
    port = free_port()
    started = time.perf_counter()
    process = start([*tight_command(), "local.serve", "--port", str(port)], root, port)
    elapsed = time.perf_counter() - started
    stop(process)
    return elapsed


def run(tmp):
    root = hello_app(tmp)
    chalice = shutil.which("chalice", path=str(Path(PY).parent))
    tight_port, chalice_port = free_port(), free_port()
    server = start([*tight_command(), "local.serve", "--port", str(tight_port)], root, tight_port)
    rival = start([chalice, "local", "--port", str(chalice_port)], chalice_app(tmp), chalice_port) if chalice else None
    try:
        tight_rps, chalice_rps, p50s, fresh_tight, fresh_chalice = [], [], [], [], []
        for _ in range(RUNS):
            fresh_tight.append(fresh_connection_rate(tight_port, REQUESTS // 10))
            if rival:
                fresh_chalice.append(fresh_connection_rate(chalice_port, REQUESTS // 10))
            times = get_times(tight_port, REQUESTS)
            tight_rps.append(len(times) / sum(times))
            p50s.append(statistics.median(times))
            if rival:  # a tenth as many: each chalice response waits ~40 ms on keep-alive
                times = get_times(chalice_port, REQUESTS // 10)
                chalice_rps.append(len(times) / sum(times))
    finally:
        stop(server)
        if rival:
            stop(rival)
    tight_rate = statistics.median(tight_rps)
    if rival:
        # Figure's ratio is value/baseline with "lower is better": report seconds per request.
        rival_rate = statistics.median(chalice_rps)
        yield Figure(f"local.serve hello GET, keep-alive ({tight_rate:.0f} req/s)", 1 / tight_rate,
                     f"chalice local ({rival_rate:.0f} req/s)", 1 / rival_rate, unit=" s/req", target=1.0)
        print(f"  local.serve serves {tight_rate / rival_rate:.2f}x the requests per second of chalice local "
              "over keep-alive (chalice's server writes headers and body separately: each response waits "
              "for the client's delayed ACK)", flush=True)
        fresh = statistics.median(fresh_tight), statistics.median(fresh_chalice)
        print(f"  new connection per request (medians): local.serve {fresh[0]:.0f} req/s, chalice local "
              f"{fresh[1]:.0f} req/s ({fresh[0] / fresh[1]:.2f}x)", flush=True)
    else:
        print("  chalice is not installed (pip install -e '.[bench]'): no throughput baseline", flush=True)
    direct = statistics.median(direct_times(root, REQUESTS * 2))
    served = statistics.median(p50s)
    yield Figure("local.serve p50 GET", served * 1000, "direct app_index.hello call p50", direct * 1000, unit=" ms")
    added = (served - direct) * 1000
    print(f"  latency added by the server (HTTP + event/response shaping): {added:.3f} ms "
          f"(target <= 1 ms: {'ok' if added <= 1 else 'MISSED'})", flush=True)
    serve_time, rundb_time = median_interleaved(lambda: first_200(root), lambda: rundb_ready(root))
    yield Figure("local.serve to first 200", serve_time, "dynamo.rundb ready", rundb_time, target=1.3)
    invoke = [*tight_command(), "local.invoke", "hello"]
    env = child_env()
    lazy, floor = median_interleaved(lambda: wall(invoke, cwd=root, env=env),
                                     lambda: wall([*invoke, "--no-db"], cwd=root, env=env))
    yield Figure("local.invoke hello (no table: no database started)", lazy, "local.invoke hello --no-db", floor,
                 target=1.2)
    print(f"  before, every local.invoke started the embedded DynamoDB first ({rundb_time:.2f} s to ready)",
          flush=True)
