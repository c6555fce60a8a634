"""local.serve: what checking a JWT adds per request, against an unprotected route, same server, same run.

One app, two functions with the same handler: ``open`` (auth: none) and ``secure``
(auth: jwt, scopes). A local OIDC issuer (tests/local/oidc_issuer.py: discovery and
JWKS on a free port, RS256) signs the token; GETs alternate between the two routes
over one keep-alive connection, so both see the same server, cache and machine.
The figure is the p50 of the protected GET against the p50 of the open one; the
difference is the JWT check (header parse, signature, claims, scopes, event claims).
"""
from __future__ import annotations

import http.client
import socket
import statistics
import sys
import time
from pathlib import Path

from .bench_dynamo import free_port, tight_command
from .bench_local import start, stop
from .common import REPO, RUNS, Figure

sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "local"))
from local_apps import APP_INDEX, write
from oidc_issuer import Issuer

HELLO = '''\
import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy


@lambda_proxy.get
def get_handler(request):
    return {'statusCode': 200, 'body': {'hello': 'world'}}
'''
REQUESTS = 1000


def app(tmp: Path, issuer: str) -> Path:
    root = tmp / "club"
    write(root / "tight.yml", f"name: club\nauth:\n  jwt:\n    issuer: {issuer}\n    audience: [my-client]\n"
                              "functions:\n  hello: {auth: none}\n  secure: {auth: jwt, scopes: [read]}\n")
    write(root / "env.yml", "NAME: club\nSTAGE: dev\n")
    write(root / "app_index.py", APP_INDEX)
    for package in ("app", "app/functions"):
        write(root / package / "__init__.py", "")
    for name in ("hello", "secure"):
        write(root / "app/functions" / name / "__init__.py", "")
        write(root / "app/functions" / name / "handler.py", HELLO)
    return root


def alternate(port: int, token: str, count: int) -> tuple[list[float], list[float]]:
    """Seconds per GET of /hello and of /secure (with the token), alternating on one connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.connect()
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(count):
        for index, (path, headers) in enumerate((("/hello", {}), ("/secure", {"Authorization": f"Bearer {token}"}))):
            started = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            samples[index].append(time.perf_counter() - started)
            assert response.status == 200 and b"world" in body, (path, response.status, body)
    connection.close()
    return samples


def run(tmp):
    with Issuer() as issuer:
        root = app(tmp, issuer.url)
        token = issuer.token(scope="read", exp=int(time.time()) + 3600)
        port = free_port()
        server = start([*tight_command(), "local.serve", "--port", str(port), "--no-db", "--no-reload"], root, port)
        try:
            alternate(port, token, 50)  # warm: discovery, JWKS, imports
            open_p50, secure_p50 = [], []
            for _ in range(RUNS):
                opened, secured = alternate(port, token, REQUESTS)
                open_p50.append(statistics.median(opened))
                secure_p50.append(statistics.median(secured))
        finally:
            stop(server)
    secure, opened = statistics.median(secure_p50) * 1000, statistics.median(open_p50) * 1000
    yield Figure("local.serve p50 GET, JWT-protected route", secure, "same server, unprotected route p50", opened,
                 unit=" ms")
    print(f"  JWT checking adds {secure - opened:.3f} ms per request (RS256 signature, iss/aud/exp/nbf, scopes, "
          "claims into the event)", flush=True)
