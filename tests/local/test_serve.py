"""tight local.serve: a real server on a free port, real HTTP, both API Gateway payload versions."""
from __future__ import annotations

import base64
import http.client
import json
import os
import re
import socket
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from conftest import free_port, port_is_free
from local_apps import PNG, Server, make_app, write

PAYLOADS = ("1.0", "2.0")


@pytest.fixture(scope="module", params=PAYLOADS)
def served(request, tmp_path_factory):
    """(payload, base URL, Server) for an app served with that payload version."""
    payload = request.param
    root = make_app(tmp_path_factory.mktemp(f"app{payload}") / "shop")
    port = free_port()
    server = Server(root, "--port", str(port), "--payload", payload)
    server.wait_ready()
    server.root = root
    yield payload, f"http://127.0.0.1:{port}", server
    server.kill()


def event_of(response) -> dict:
    return response.json()["event"]


def test_banner_lists_routes_methods_and_urls(served):
    payload, base, server = served
    text = server.output()
    assert f"payload {payload}" in text
    assert "Tables: shop-dev-accounts" in text
    assert re.search(rf"{re.escape(base)}/accounts/{{id}}\s+GET\s+-> lookup", text)
    assert re.search(rf"{re.escape(base)}/echo/{{proxy\+}}\s+GET, POST\s+-> echo", text)
    assert "Press Ctrl-C to stop." in text


def test_get_becomes_a_complete_event(served):
    payload, base, server = served
    response = requests.get(f"{base}/echo/a/b%20c?x=1&x=2&y=3", cookies={"c1": "v1", "c2": "v2"},
                            headers={"X-Trace": "t-1"})
    assert response.status_code == 200
    assert response.json()["function"] == "echo"
    assert response.json()["memory"] == "256"
    event = event_of(response)
    if payload == "1.0":
        assert event["httpMethod"] == "GET"
        assert event["resource"] == "/echo/{proxy+}"
        assert event["path"] == "/echo/a/b c"
        assert event["pathParameters"] == {"proxy": "a/b c"}
        assert event["queryStringParameters"] == {"x": "2", "y": "3"}
        assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": ["3"]}
        assert event["headers"]["X-Trace"] == "t-1"
        assert event["multiValueHeaders"]["X-Trace"] == ["t-1"]
        assert "c1=v1" in event["headers"]["Cookie"]
        context = event["requestContext"]
        assert context["stage"] == "dev"
        assert context["identity"]["sourceIp"] == "127.0.0.1"
        assert context["resourcePath"] == "/echo/{proxy+}"
        assert context["httpMethod"] == "GET"
        assert event["body"] is None and event["isBase64Encoded"] is False
        assert response.headers["Content-Type"] == "application/json"
    else:
        assert event["version"] == "2.0"
        assert event["routeKey"] == "ANY /echo/{proxy+}"
        assert event["rawPath"] == "/echo/a/b%20c"
        assert event["rawQueryString"] == "x=1&x=2&y=3"
        assert event["queryStringParameters"] == {"x": "1,2", "y": "3"}
        assert event["pathParameters"] == {"proxy": "a/b c"}
        assert sorted(event["cookies"]) == ["c1=v1", "c2=v2"]
        assert "cookie" not in event["headers"]
        assert event["headers"]["x-trace"] == "t-1"
        context = event["requestContext"]
        assert context["http"]["method"] == "GET"
        assert context["http"]["path"] == "/echo/a/b c"
        assert context["http"]["sourceIp"] == "127.0.0.1"
        assert context["stage"] == "dev"
        assert "body" not in event and "multiValueHeaders" not in event
    assert re.fullmatch(r"[0-9a-f-]{36}", event["requestContext"]["requestId"])
    server.wait_for_line("echo says hello on stdout")
    server.wait_for_line(r"GET /echo/a/b c 200 \d+\.\d ms", pattern=True)


def test_repeated_headers(served):
    payload, base, _ = served
    connection = http.client.HTTPConnection(base.split("//")[1], timeout=30)
    connection.putrequest("GET", "/echo")
    connection.putheader("X-Tag", "a")
    connection.putheader("X-Tag", "b")
    connection.endheaders()
    event = json.loads(connection.getresponse().read())["event"]
    connection.close()
    if payload == "1.0":
        assert event["multiValueHeaders"]["X-Tag"] == ["a", "b"]
        assert event["headers"]["X-Tag"] == "b"
        assert event["queryStringParameters"] is None and event["pathParameters"] is None
    else:
        assert event["headers"]["x-tag"] == "a,b"
        assert "queryStringParameters" not in event and "pathParameters" not in event


def test_keep_alive_and_head_on_one_connection(served):
    _, base, _ = served
    connection = http.client.HTTPConnection(base.split("//")[1], timeout=30)
    connection.request("GET", "/echo")
    first = connection.getresponse()
    assert first.status == 200 and json.loads(first.read())["event"]
    sock = connection.sock
    connection.request("HEAD", "/echo")
    head = connection.getresponse()
    assert head.status == 405 and head.read() == b""  # echo has no HEAD handler: the runtime says so
    assert int(head.getheader("Content-Length")) > 0
    connection.request("POST", "/echo", body=b'{"n": 1}', headers={"Content-Type": "application/json"})
    third = connection.getresponse()
    assert third.status == 201 and json.loads(json.loads(third.read())["event"]["body"]) == {"n": 1}
    assert connection.sock is sock  # the same TCP connection answered all three
    connection.close()


def test_request_limits_answer_413_with_the_reason(served):
    _, base, server = served
    too_big = requests.post(f"{base}/echo", data=b"x" * (10 * 1024 * 1024 + 1),
                            headers={"Content-Type": "text/plain"})
    assert too_big.status_code == 413
    assert too_big.json() == {"message": "Request Too Long"}
    assert "API Gateway accepts 10,485,760" in server.wait_for_line("413 for POST /echo: the request is 10,485,761")
    over_lambda = requests.post(f"{base}/echo", data=b"y" * (7 * 1024 * 1024), headers={"Content-Type": "text/plain"})
    assert over_lambda.status_code == 413
    assert "Lambda allows 6,291,456" in server.wait_for_line("413 for POST /echo: echo: the event is")
    assert requests.get(f"{base}/echo").status_code == 200


def test_post_json_body(served):
    _, base, _ = served
    response = requests.post(f"{base}/echo", json={"a": [1, "é"]})
    assert response.status_code == 201
    event = event_of(response)
    assert json.loads(event["body"]) == {"a": [1, "é"]}
    assert event["isBase64Encoded"] is False


def test_binary_request_and_response_bodies(served):
    _payload, base, _ = served
    raw = bytes(range(256))
    event = event_of(requests.post(f"{base}/echo", data=raw, headers={"Content-Type": "application/octet-stream"}))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw
    response = requests.get(f"{base}/files/logo.png")
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Name"] == "logo.png"
    assert response.raw.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2; HttpOnly"]
    assert response.cookies["a"] == "1"


def test_unknown_route_answers_as_api_gateway_with_the_routes_on_the_console(served):
    """REST APIs (1.0) answer a path with no route 403 Missing Authentication Token, HTTP APIs (2.0) 404."""
    payload, base, server = served
    response = requests.get(f"{base}/nowhere/at/all")
    if payload == "1.0":
        assert response.status_code == 403
        assert response.text == '{"message":"Missing Authentication Token"}'
        assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    else:
        assert (response.status_code, response.text) == (404, '{"message":"Not Found"}')
    status = response.status_code
    hint = server.wait_for_line(f"{status} for GET /nowhere/at/all: no route matches; routes: ")
    assert "/echo, /echo/{proxy+}" in hint and "/accounts/{id}" in hint
    server.wait_for_line(rf"GET /nowhere/at/all {status} \d+\.\d ms", pattern=True)


def test_missing_method_is_the_runtimes_405(served):
    _, base, _ = served
    response = requests.delete(f"{base}/echo")
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} == {"GET", "POST"}


def test_a_crashed_function_is_a_502_with_the_reason_on_the_console(served):
    _, base, server = served
    response = requests.get(f"{base}/broken")
    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}
    line = server.wait_for_line("502 for GET /broken")
    assert "broken raised SystemExit: disk on fire" in line
    assert requests.get(f"{base}/echo").status_code == 200  # the server lives on


def test_running_past_the_functions_timeout_is_a_502(served):
    _, base, server = served
    response = requests.get(f"{base}/slow")
    assert response.status_code == 502
    line = server.wait_for_line("502 for GET /slow: slow: ran ")
    assert "past its 1 s timeout (functions.slow.timeout): Lambda would have stopped it" in line


def test_handlers_write_and_read_the_embedded_database(served):
    _, base, _ = served
    saved = requests.post(f"{base}/accounts", json={"id": "a1", "owner": "ann"})
    assert saved.status_code == 201, saved.text
    assert requests.get(f"{base}/accounts/a1").json() == {"id": "a1", "owner": "ann"}
    assert requests.get(f"{base}/accounts/zz").status_code == 404


def test_editing_a_handler_changes_the_next_response_and_keeps_the_database(served):
    payload, base, server = served
    assert requests.post(f"{base}/accounts", json={"id": "kept", "owner": "bo"}).status_code == 201
    assert requests.get(f"{base}/version").json() == {"version": "one"}
    handler = server.root / "app" / "functions" / "version" / "handler.py"
    two = handler.read_text(encoding="utf-8").replace('"one"', f'"two-{payload}"')
    with edited(handler, two, lambda: requests.get(f"{base}/version").json() == {"version": "one"}):
        assert until(lambda: requests.get(f"{base}/version").json() != {"version": "one"})
        assert requests.get(f"{base}/version").json() == {"version": f"two-{payload}"}
        server.wait_for_line("Reloading: app/functions/version/handler.py changed.")
        assert requests.get(f"{base}/accounts/kept").json() == {"id": "kept", "owner": "bo"}


def test_a_same_size_edit_in_the_same_second_is_not_hidden_by_the_bytecode_cache(served):
    """Python trusts a .pyc whose source has the same size and whole-second mtime (one left by a test run)."""
    import py_compile

    _, base, _ = served
    handler = server_root(served) / "app" / "functions" / "files" / "handler.py"
    url = f"{base}/files/x"
    assert requests.get(url).headers["Content-Type"] == "image/png"
    py_compile.compile(str(handler), doraise=True, invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    before = handler.stat()
    gif = handler.read_text(encoding="utf-8").replace("image/png", "image/gif")
    with edited(handler, gif, lambda: requests.get(url).headers["Content-Type"] == "image/png"):
        assert handler.stat().st_size == before.st_size
        second = before.st_mtime_ns // 1_000_000_000 * 1_000_000_000
        os.utime(handler, ns=(before.st_atime_ns, second + (before.st_mtime_ns + 1) % 1_000_000_000))
        assert until(lambda: requests.get(url).headers["Content-Type"] == "image/gif")


def until(condition, seconds: float = 20) -> bool:
    """Poll ``condition()`` until it is true (the server reloaded), at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():
        time.sleep(0.05)
    return bool(condition())


@contextmanager
def edited(path: Path, text: str, restored):
    """``path`` holds ``text`` inside the block; after it, its old content (a newer mtime, so neither the
    reloader nor a .pyc misses it) once ``restored()`` says the server serves it again: the served app is
    shared by the module's tests, which run in any order."""
    original = path.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    try:
        yield
    finally:
        mtime = path.stat().st_mtime_ns
        path.write_text(original, encoding="utf-8")
        os.utime(path, ns=(mtime, max(mtime, path.stat().st_mtime_ns) + 2_000_000_000))
        assert until(restored), f"the server never went back to the original {path.name}"


def server_root(served):
    return served[2].root


def test_a_syntax_error_is_a_502_until_fixed(served):
    _payload, base, server = served
    handler = server.root / "app" / "functions" / "echo" / "handler.py"
    good = handler.read_text(encoding="utf-8")
    handler.write_text(good + "\ndef broken(:\n", encoding="utf-8")
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and requests.get(f"{base}/echo").status_code == 200:
            time.sleep(0.05)
        assert requests.get(f"{base}/echo").status_code == 502
        assert "SyntaxError" in server.wait_for_line(
            "502 for GET /echo: echo: cannot import app/functions/echo/handler.py")
    finally:
        handler.write_text(good + "\n# fixed\n", encoding="utf-8")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and requests.get(f"{base}/echo").status_code != 200:
        time.sleep(0.05)
    assert requests.get(f"{base}/echo").status_code == 200


def test_tight_yml_edits_reroute_and_a_bad_edit_keeps_the_routes(served):
    payload, base, server = served
    config = server.root / "tight.yml"
    original = config.read_text(encoding="utf-8")
    with edited(config, original + "  version:\n    path: version\n",
                lambda: requests.get(f"{base}/version").status_code == 200):
        server.wait_for_line("Reloading: tight.yml changed.")
        assert requests.get(f"{base}/version").status_code == 200
        server.wait_for_line("path 'version' must be a string starting with / (keeping the previous routes and code until it is fixed)")
        config.write_text(original + "  version:\n    path: /v/{n}\n", encoding="utf-8")
        assert until(lambda: requests.get(f"{base}/v/7").status_code == 200)
        assert requests.get(f"{base}/version").status_code == (403 if payload == "1.0" else 404)  # no route now


# -- start and stop ------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("plain") / "shop")


def test_ctrl_c_exits_0_stops_the_database_and_frees_the_port(app_dir):
    port = free_port()
    server = Server(app_dir, "--port", str(port))
    try:
        server.wait_ready()
        endpoint = re.search(r"at (http://127.0.0.1:\d+)", server.output()).group(1)
        assert requests.get(f"http://127.0.0.1:{port}/echo").status_code == 200
        assert server.interrupt() == 0
    finally:
        server.kill()
    assert server.lines[-1] == "Stopped."
    assert port_is_free(port)
    with pytest.raises(requests.ConnectionError):
        requests.get(endpoint, timeout=5)


def test_no_db_and_defaults_from_the_local_section(tmp_path):
    from conftest import clean_env

    root = make_app(tmp_path / "shop")
    port = free_port()
    with (root / "tight.yml").open("a", encoding="utf-8") as config:
        config.write(f"local:\n  port: {port}\n  payload: 2.0\n  reload: false\n")
    server = Server(root, "--no-db", env=clean_env(AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:9"))
    try:
        server.wait_ready()
        assert "with DynamoDB at http://127.0.0.1:9" in server.output()
        assert "(payload 2.0, stage dev)" in server.output()
        assert f"Listening on http://127.0.0.1:{port} (no reload)" in server.output()
        assert event_of(requests.get(f"http://127.0.0.1:{port}/echo"))["version"] == "2.0"
        assert server.interrupt() == 0
    finally:
        server.kill()


def one_line_error(result, code: int, *words: str) -> None:
    assert result.returncode == code, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr


def test_busy_port_is_a_one_line_error(app_dir, tight):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        result = tight("local.serve", "--port", str(port), cwd=app_dir, timeout=60)
    one_line_error(result, 1, f"Port {port} on 127.0.0.1 is already in use", "--port")


@pytest.mark.parametrize(("args", "code", "words"), [
    (["--payload", "3.0"], 2, ["--payload '3.0'", "1.0", "2.0"]),
    (["--port", "http"], 2, ["--port 'http'"]),
    (["--port", "70000"], 2, ["70000"]),
])
def test_bad_options_are_one_line_errors(app_dir, tight, args, code, words):
    one_line_error(tight("local.serve", *args, cwd=app_dir, timeout=60), code, *words)


def test_missing_env_yml_and_bad_functions_section_are_one_line_errors(tmp_path, tight):
    root = make_app(tmp_path / "shop")
    (root / "env.yml").unlink()
    one_line_error(tight("local.serve", "--port", "0", cwd=root, timeout=60), 1, "No env.yml", "generate.env")
    write(root / "env.yml", "NAME: shop\nSTAGE: dev\n")
    write(root / "tight.yml", "name: shop\nfunctions:\n  echo:\n    path: echo\n")
    one_line_error(tight("local.serve", "--port", "0", cwd=root, timeout=60), 1, "'echo'", "path 'echo'")


def test_listed_and_documented():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "local.md").read_text(encoding="utf-8")
    assert "## `local.serve`: the API on localhost" in docs and "## `local.invoke`: one function, once" in docs
    assert "tight local.serve" in docs and "tight local.invoke" in docs


def test_quick_start_app_answers_hello(tmp_path, tight):
    """The quick start, after installing: a generated app served with its DB answers its controller."""
    assert tight("generate.app", "my_service", cwd=tmp_path).returncode == 0
    root = tmp_path / "my_service"
    for args in (("generate.function", "my_controller"), ("generate.model", "account"), ("generate.env",)):
        result = tight(*args, cwd=root)
        assert result.returncode == 0, result.stdout + result.stderr
    port = free_port()
    server = Server(root, "--port", str(port))
    try:
        server.wait_ready()
        banner = server.output()
        assert "Serving my-service (payload 1.0, stage dev) with DynamoDB (embedded) at http://127.0.0.1:" in banner
        assert "\nTables: my-service-dev-accounts\n" in banner
        response = requests.get(f"http://127.0.0.1:{port}/my_controller")
        assert (response.status_code, response.text) == (200, '{"hello":"world"}')
        assert server.interrupt() == 0
    finally:
        server.kill()
