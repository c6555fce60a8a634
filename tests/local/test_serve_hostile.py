"""local.serve against malformed HTTP: a 400 with the reason, no traceback, the server keeps answering."""
from __future__ import annotations

import socket

import pytest
import requests
from conftest import free_port
from local_apps import Server, make_app


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = make_app(tmp_path_factory.mktemp("serve-hostile") / "shop")
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
    assert answer.startswith(b"HTTP/1.1 404 ")
    line = server.wait_for_line("GET /nowhere")
    assert "\x1b" not in line and "\x07" not in line
    assert line.startswith("GET /nowhere\\x1b[2J\\x1b]0;pwned\\x07 404")
    answer = raw(port, b"GET /" + b"a" * 10000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 404 ")
    line = server.wait_for_line("(10,001 chars) 404")
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
