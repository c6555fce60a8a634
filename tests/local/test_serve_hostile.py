"""local.serve against malformed HTTP: a 400 with the reason, no traceback, the server keeps answering."""
from __future__ import annotations

import json
import re
import socket

import pytest
import requests
from conftest import free_port
from local_apps import Server, make_app, write

#: A handler that puts whatever the query asks for into its response headers (as one echoing input would).
SPLITTER = '''
import json

import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy


@lambda_proxy.get
def get_handler(request, **kwargs):
    answer = json.loads(request.query["answer"])
    return {"statusCode": 200, "body": "x", **answer}
'''


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = make_app(tmp_path_factory.mktemp("serve-hostile") / "shop")
    write(root / "app" / "functions" / "splitter" / "__init__.py", "")
    write(root / "app" / "functions" / "splitter" / "handler.py", SPLITTER)
    port = free_port()
    server = Server(root, "--port", str(port), "--no-db", "--no-reload")
    server.wait_ready()
    yield port, server
    server.kill()


def raw(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_a_malformed_chunked_body_is_a_400_not_a_500_traceback(served):
    port, server = served
    answer = raw(port, b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                       b"zz\r\nabc\r\n0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert answer.endswith(b'{"message": "Malformed request body"}')
    server.wait_for_line("POST /echo 400")
    assert "malformed" in server.wait_for_line("400 for POST /echo")
    assert "Traceback" not in server.output()
    assert requests.get(f"http://127.0.0.1:{port}/echo", timeout=30).status_code == 200


def test_control_characters_and_huge_paths_do_not_reach_the_terminal_raw(served):
    port, server = served
    answer = raw(port, b"GET /nowhere%1b%5b2J%1b%5d0;pwned%07 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 403 ")
    line = server.wait_for_line("GET /nowhere\\x1b[2J\\x1b]0;pwned\\x07 403")
    assert "\x1b" not in server.output() and "\x07" not in server.output()
    assert line.startswith("GET /nowhere")
    answer = raw(port, b"GET /" + b"a" * 10000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 403 ")
    line = server.wait_for_line("(10,001 chars) 403")
    assert len(line) < 300


def test_local_section_switches_written_as_text_mean_what_they_say(tmp_path):
    root = make_app(tmp_path / "shop")
    with (root / "tight.yml").open("a") as handle:
        handle.write('local:\n  db: "no"\n  reload: "off"\n')  # bool("no") is True: the database started before
    server = Server(root, "--port", str(free_port()))
    try:
        server.wait_ready()
        assert "(--no-db)" in server.output() and "Tables:" not in server.output()
    finally:
        server.kill()
    (root / "tight.yml").write_text((root / "tight.yml").read_text().replace('db: "no"', "db: maybe"))
    server = Server(root, "--port", str(free_port()))
    assert server.process.wait(60) == 2
    server.reader.join(10)
    assert server.output().strip() == "tight.yml: local.db 'maybe' is not true or false."


@pytest.mark.parametrize("host, words", [("bad host", "does not resolve"), ("8.8.8.8", "not an address of this")])
def test_a_host_that_cannot_be_bound_says_why(tmp_path_factory, host, words):
    root = make_app(tmp_path_factory.mktemp("host") / "shop")
    server = Server(root, "--port", str(free_port()), "--no-db", "--host", host)
    assert server.process.wait(60) == 1
    server.reader.join(10)
    assert words in server.output() and "already" not in server.output() and "Traceback" not in server.output()


@pytest.mark.parametrize("answer, reason", [
    ({"headers": {"Location": "/x\r\nSet-Cookie: session=evil"}}, "header Location holds a line break"),
    ({"headers": {"X-A\r\nSet-Cookie: session=evil": "1"}}, "is not an HTTP token"),
    ({"multiValueHeaders": {"X-M": ["a", "b\nSet-Cookie: session=evil"]}}, "header X-M holds a line break"),
    ({"headers": {"X-Name": "\u4e2d"}}, "cannot carry"),
])
def test_a_header_that_would_split_the_response_is_a_502(served, answer, reason):
    port, server = served
    response = requests.get(f"http://127.0.0.1:{port}/splitter", params={"answer": json.dumps(answer)}, timeout=30)
    assert response.status_code == 502  # was a 200 carrying the injected Set-Cookie header
    assert "session" not in response.cookies and "Set-Cookie" not in response.headers
    line = server.wait_for_line(f"502 for GET /splitter: Malformed Lambda proxy response: .*{re.escape(reason)}.*",
                                pattern=True)
    assert "Traceback" not in server.output(), line


def test_framing_headers_of_the_function_are_left_out(served):
    port, server = served
    answer = {"headers": {"Content-Length": "999", "Transfer-Encoding": "chunked", "X-Kept": "yes"}}
    with requests.Session() as session:  # one keep-alive connection: a wrong length would hang the next request
        for _ in range(2):
            response = session.get(f"http://127.0.0.1:{port}/splitter", params={"answer": json.dumps(answer)},
                                   timeout=30)
            assert (response.status_code, response.text, response.headers["X-Kept"]) == (200, "x", "yes")
            assert response.headers["Content-Length"] == "1" and "Transfer-Encoding" not in response.headers
    server.wait_for_line("Content-Length header is left out")
