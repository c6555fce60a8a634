"""local.serve when things go wrong around it: a broken tight.yml mid-session, a handler closing stdout,
ambiguous framing, and a host other machines can reach. One line each, no traceback, the server keeps answering."""
from __future__ import annotations

import socket
import time

import pytest
import requests
from conftest import free_port
from local_apps import Server, make_app, write

CLOSER = '''
import os

import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy


@lambda_proxy.get
def get_handler():
    os.close(1)  # the server's stdout: the next connection it accepts would get descriptor 1
    return {"closed": "stdout"}
'''


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """An app with a handler that closes fd 1, served without reload on 0.0.0.0."""
    root = make_app(tmp_path_factory.mktemp("serve-robust") / "shop")
    write(root / "app" / "functions" / "closer" / "__init__.py", "")
    write(root / "app" / "functions" / "closer" / "handler.py", CLOSER)
    port = free_port()
    server = Server(root, "--port", str(port), "--no-db", "--no-reload", "--host", "0.0.0.0")
    server.wait_ready()
    yield port, server
    server.kill()


def raw(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:  # it hung 30 s and more before
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_a_handler_closing_stdout_does_not_corrupt_later_responses(served):
    port, server = served
    assert requests.get(f"http://127.0.0.1:{port}/closer", timeout=30).json() == {"closed": "stdout"}
    server.wait_for_line("GET /closer 200")
    before = len([line for line in list(server.lines) if line.startswith("GET /echo 200")])  # the module's server
    for _ in range(4):  # new connections: one of them got descriptor 1 before, and the access log with it
        response = requests.get(f"http://127.0.0.1:{port}/echo", headers={"Connection": "close"}, timeout=30)
        assert response.status_code == 200 and response.json()["function"] == "echo"
    server.wait_for_line("GET /echo 200", count=before + 4)  # each request logged, read by the reader thread
    assert "echo says hello on stdout" in server.output()  # the handler's print still reaches the terminal
    assert "Traceback" not in server.output()


def test_host_0_0_0_0_prints_a_reachable_url_and_warns(served):
    port, server = served
    assert server.wait_for_line("Listening on") == f"Listening on http://127.0.0.1:{port} (no reload)"
    warning = server.wait_for_line("Warning: --host 0.0.0.0")
    assert warning.startswith("Warning: --host 0.0.0.0: the API is reachable from the network (every interface")
    assert warning.endswith("Use --host 127.0.0.1 to keep it on this machine.")
    assert requests.get(f"http://127.0.0.1:{port}/echo", timeout=30).status_code == 200


@pytest.mark.parametrize("lengths, reason", [
    ((b"5", b"100"), "2 different Content-Length headers (5, 100)"),
    ((b"100", b"5"), "2 different Content-Length headers (100, 5)"),
    ((b"five",), "Content-Length 'five' is not a number of bytes"),
])
def test_ambiguous_content_length_is_a_400_at_once(served, lengths, reason):
    port, server = served
    headers = b"".join(b"Content-Length: " + length + b"\r\n" for length in lengths)
    answer = raw(port, b"POST /echo HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\nhello")
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n"), answer
    assert b"Connection: close\r\n" in answer and answer.endswith(b'{"message": "Bad Request"}')
    assert server.wait_for_line(f"400 for POST /echo: {reason}") == f"400 for POST /echo: {reason}"
    assert "Traceback" not in server.output()
    same = raw(port, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n"
                     b"Connection: close\r\n\r\nhello")
    assert same.startswith(b"HTTP/1.1 201 ") and b'"body":"hello"' in same  # equal values: one length (RFC 9110)


def test_loopback_host_gives_no_warning(tmp_path):
    root = make_app(tmp_path / "shop")
    port = free_port()
    server = Server(root, "--port", str(port), "--no-db", "--no-reload", "--host", "localhost")
    try:
        server.wait_ready()
        assert f"Listening on http://localhost:{port} (no reload)" in server.output()
        assert "Warning" not in server.output()
    finally:
        server.kill()


def test_tight_yml_broken_mid_session_keeps_the_previous_routes_and_code(tmp_path):
    root = make_app(tmp_path / "shop")
    port = free_port()
    server = Server(root, "--port", str(port), "--no-db")
    try:
        server.wait_ready()
        assert requests.get(f"http://127.0.0.1:{port}/files/report.pdf", timeout=30).status_code == 200
        settings = (root / "tight.yml").read_text()
        (root / "tight.yml").write_text(settings + "functions: [unclosed\n")
        server.wait_for_line("Reloading: tight.yml changed.")
        for _ in range(3):  # every request answered 502 before, after a traceback
            assert requests.get(f"http://127.0.0.1:{port}/files/report.pdf", timeout=30).status_code == 200
            assert requests.get(f"http://127.0.0.1:{port}/echo", timeout=30).status_code == 200
        line = server.wait_for_line("keeping the previous routes")
        assert line == (f"tight.yml: {root / 'tight.yml'}: line 14: expected ',' or ']', but got '<stream end>' "
                        "(keeping the previous routes and code until it is fixed)")
        assert "Traceback" not in server.output() and " 502 " not in server.output()
        seen = len(server.lines)
        (root / "tight.yml").write_text(settings)
        deadline = time.monotonic() + 30
        while "Reloading: tight.yml changed." not in server.lines[seen:] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert requests.get(f"http://127.0.0.1:{port}/files/report.pdf", timeout=30).status_code == 200
        assert server.output().count("keeping the previous routes") == 1
    finally:
        server.kill()
