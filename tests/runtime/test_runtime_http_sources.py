"""Real-shaped REST 1.0, HTTP API 2.0, Function URL and ALB events through a generated app."""
from __future__ import annotations

import base64
import importlib
import json
import logging
import sys

import pytest
from aws_events import HTTP_SOURCES, load, set_header
from conftest import run_tight, runtime_state_restored
from runtime_helpers import forget_app_modules, write

ECHO = '''\
import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy


@lambda_proxy.get
def get_handler(request):
    return {"method": request.method, "path": request.path, "source": request.source,
            "content_type": request.headers.get("CONTENT-TYPE"), "host": request.headers.get("Host"),
            "cookies": request.cookies, "query": request.query, "multi_query": request.multi_query,
            "path_parameters": request.path_parameters, "source_ip": request.source_ip,
            "principal_id": request.principal_id, "stage": request.stage, "request_id": request.request_id,
            "same_event": request.event is not None, "context": request.context}


@lambda_proxy.post
def post_handler(*args, **kwargs):
    body = kwargs["body"]
    shown = base64.b64encode(body).decode() if isinstance(body, bytes) else body
    return {"type": type(body).__name__, "body": shown, "raw": kwargs["request"].raw_body.hex()}


@lambda_proxy.put
def put_handler(request):
    """Never reads the body."""
    return {"statusCode": 202, "body": {"method": request.method}}


@lambda_proxy.patch
def patch_handler(request):
    return {"read": request.body}


@lambda_proxy.delete
def delete_handler(**kwargs):
    try:
        lambda_proxy.exit_with_response(404, {"message": "gone"})
    except Exception:  # a handler's catch-all must not swallow the exit
        return {"statusCode": 500, "body": "swallowed"}
'''.replace("import tight", "import base64\nimport tight", 1)

SHAPES = '''\
import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy


@lambda_proxy.get
def get_handler(request):
    kind = request.query.get("kind")
    if kind == "resource":
        return {"id": "7", "body": "a field named body", "headers": ["h"]}
    if kind == "cookies":
        return {"statusCode": 201, "body": "ok", "cookies": ["a=1; Path=/", "b=2; HttpOnly"],
                "multiValueHeaders": {"X-Many": ["1", "2"]}, "headers": {"Content-Type": "text/plain"}}
    if kind == "unknown":
        return {"statusCode": 200, "body": {"x": 1}, "isBase64Encoded": False, "extra": "never sent"}
    if kind == "bytes":
        return {"statusCode": 200, "body": b"\\x89PNG", "headers": {"Content-Type": "image/png"}}
    return {"statusCode": 200, "body": {"hello": "world"}, "headers": {"Content-Type": "application/hal+json"}}
'''


@pytest.fixture(scope="module")
def app_index(tmp_path_factory):
    """An app made by `tight generate.app` + `generate.function` (hello), plus echo and shapes."""
    base = tmp_path_factory.mktemp("sources")
    assert run_tight("generate.app", "svc", cwd=base).returncode == 0
    root = base / "svc"
    generated = run_tight("generate.function", "hello", cwd=root)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    for name, source in (("echo", ECHO), ("shapes", SHAPES)):
        write(root / "app" / "functions" / name / "__init__.py", "")
        write(root / "app" / "functions" / name / "handler.py", source)
    forget_app_modules()
    saved = list(sys.path)
    sys.path.insert(0, str(root))
    try:
        with runtime_state_restored():
            module = importlib.import_module("app_index")
            for function in ("hello", "echo", "shapes"):  # registered now, before each test's state snapshot
                getattr(module, function)
            yield module
    finally:
        sys.path[:] = saved
        forget_app_modules()


@pytest.mark.parametrize("source", HTTP_SOURCES)
def test_generated_hello_answers_every_source(app_index, source):
    response = app_index.hello(load(source, "GET"), None)
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"hello": "world"}
    if source.startswith("alb"):
        assert response["statusDescription"] == "200 OK" and response["isBase64Encoded"] is False
        headers = response["multiValueHeaders" if source == "alb_multi" else "headers"]
        assert ("headers" in response) is (source == "alb_single")
        assert headers["Content-Type"] in ("application/json", ["application/json"])
    else:
        assert response["headers"]["Content-Type"] == "application/json"
        assert "multiValueHeaders" not in response and "statusDescription" not in response


EXPECTED_REQUEST = {
    "rest_v1": {"path": "/accounts/42", "source": "rest", "host": "r4nd0m1d.execute-api.eu-west-1.amazonaws.com",
                "cookies": {"session": "abc123", "theme": "dark"}, "query": {"tag": "red", "limit": "10"},
                "multi_query": {"tag": ["red", "blue"], "limit": ["10"]}, "path_parameters": {"id": "42"},
                "source_ip": "198.51.100.23", "principal_id": "user|7f3e", "stage": "dev",
                "request_id": "5b0f6c1e-8d1a-4c2b-9e3f-2a4b6c8d0e1f"},
    "http_api_v2": {"path": "/dev/accounts/42", "source": "http-api",
                    "host": "h7tp4p1d.execute-api.eu-west-1.amazonaws.com",
                    "cookies": {"session": "abc123", "theme": "dark"},
                    "query": {"tag": "red", "note": "a,b", "limit": "10"},
                    "multi_query": {"tag": ["red", "blue"], "note": ["a,b"], "limit": ["10"]},
                    "path_parameters": {"id": "42"}, "source_ip": "203.0.113.77",
                    "principal_id": "c0ffee00-1234-4abc-9def-001122334455", "stage": "dev",
                    "request_id": "Ab1Cd2Ef3Gh="},
    "function_url": {"path": "/upload", "source": "function-url",
                     "host": "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6.lambda-url.eu-west-1.on.aws", "cookies": {},
                     "query": {}, "multi_query": {}, "path_parameters": {}, "source_ip": "192.0.2.44",
                     "principal_id": None, "stage": "$default", "request_id": "1e2f3a4b-5c6d-7e8f-9a0b-1c2d3e4f5a6b"},
    "alb_single": {"path": "/accounts", "source": "alb", "host": "tight-alb-1234567890.eu-west-1.elb.amazonaws.com",
                   "cookies": {"session": "abc123", "theme": "dark"}, "query": {"q": "hello world", "tag": "blue"},
                   "multi_query": {"q": ["hello world"], "tag": ["blue"]}, "path_parameters": {},
                   "source_ip": "198.51.100.99", "principal_id": None, "stage": None, "request_id": None},
    "alb_multi": {"path": "/accounts", "source": "alb", "host": "tight-alb-1234567890.eu-west-1.elb.amazonaws.com",
                  "cookies": {"session": "abc123", "theme": "dark"}, "query": {"q": "hello world", "tag": "red"},
                  "multi_query": {"q": ["hello world"], "tag": ["red", "blue"]}, "path_parameters": {},
                  "source_ip": "198.51.100.99", "principal_id": None, "stage": None, "request_id": None},
}


@pytest.mark.parametrize("source", HTTP_SOURCES)
def test_request_object_reads_every_source(app_index, source):
    event = set_header(load(source, "GET"), "Content-Type", "text/plain; charset=utf-8")
    response = app_index.echo(event, "ctx")
    assert response["statusCode"] == 200, response
    seen = json.loads(response["body"])
    assert seen == {"method": "GET", "content_type": "text/plain; charset=utf-8", "same_event": True,
                    "context": "ctx", **EXPECTED_REQUEST[source]}


def test_rest_text_body_without_content_type_reaches_the_handler(app_index):
    response = app_index.echo(load("rest_v1", "POST"), None)  # 'just some text', no Content-Type
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["type"] == "str"
    assert json.loads(response["body"])["body"] == "just some text"


def test_function_url_binary_upload_without_content_type_is_bytes(app_index):
    response = app_index.echo(load("function_url"), None)
    seen = json.loads(response["body"])
    assert (response["statusCode"], seen["type"], seen["raw"]) == (200, "bytes", "00ff80ff")


def test_function_url_text_upload_without_content_type_is_text(app_index):
    event = load("function_url", body=base64.b64encode("grüße".encode()).decode())
    seen = json.loads(app_index.echo(event, None)["body"])
    assert (seen["type"], seen["body"]) == ("str", "grüße")


def test_json_without_content_type_is_parsed_and_json_content_type_is_parsed(app_index):
    assert json.loads(app_index.echo(load("function_url", body='{"a": 1}', isBase64Encoded=False), None)["body"])[
        "body"] == {"a": 1}
    seen = json.loads(app_index.echo(load("http_api_v2"), None)["body"])
    assert (seen["type"], seen["body"]) == ("dict", {"name": "Ada", "age": 36})


def test_invalid_json_is_400_only_for_handlers_that_read_the_body(app_index):
    put = load("http_api_v2", "PUT", body="{broken")
    assert app_index.echo(put, None)["statusCode"] == 202  # never reads it: no 400
    patch = load("http_api_v2", "PATCH", body="{broken")
    response = app_index.echo(patch, None)
    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {"message": "Request body is not valid JSON"}


def test_exit_with_response_is_not_swallowed_by_except_exception(app_index):
    response = app_index.echo(load("rest_v1", "DELETE"), None)
    assert (response["statusCode"], response["body"]) == (404, '{"message":"gone"}')


def test_a_resource_with_a_body_field_is_the_json_body(app_index):
    event = load("rest_v1", queryStringParameters={"kind": "resource"}, multiValueQueryStringParameters=None)
    response = app_index.shapes(event, None)
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"id": "7", "body": "a field named body", "headers": ["h"]}
    assert set(response) == {"statusCode", "headers", "body"}


def _with_kind(source, kind):
    event = load(source, "GET")
    if source == "alb_multi":
        event["multiValueQueryStringParameters"] = {"kind": [kind]}
    elif source in ("http_api_v2", "function_url"):
        event["rawQueryString"] = f"kind={kind}"
    else:
        event["queryStringParameters"] = {"kind": kind}
        event.pop("multiValueQueryStringParameters", None)
    return event


def test_cookies_and_multi_value_headers_per_source(app_index):
    rest = app_index.shapes(_with_kind("rest_v1", "cookies"), None)
    assert "cookies" not in rest
    assert rest["multiValueHeaders"] == {"X-Many": ["1", "2"], "Set-Cookie": ["a=1; Path=/", "b=2; HttpOnly"]}
    assert rest["headers"]["Content-Type"] == "text/plain" and rest["statusCode"] == 201
    for source in ("http_api_v2", "function_url"):
        v2 = app_index.shapes(_with_kind(source, "cookies"), None)
        assert "multiValueHeaders" not in v2
        assert v2["cookies"] == ["a=1; Path=/", "b=2; HttpOnly"]
        assert v2["headers"]["X-Many"] == "1,2"
    multi = app_index.shapes(_with_kind("alb_multi", "cookies"), None)
    assert multi["statusDescription"] == "201 Created" and multi["isBase64Encoded"] is False
    assert multi["multiValueHeaders"]["Set-Cookie"] == ["a=1; Path=/", "b=2; HttpOnly"]
    assert "headers" not in multi and "cookies" not in multi


def test_unknown_keys_are_dropped_with_a_warning(app_index, caplog):
    with caplog.at_level(logging.WARNING, logger="tight"):
        response = app_index.shapes(_with_kind("rest_v1", "unknown"), None)
    assert "extra" not in response
    assert "extra" in caplog.text


@pytest.mark.parametrize("source", HTTP_SOURCES)
def test_bytes_are_base64_everywhere_and_content_type_kept(app_index, source):
    response = app_index.shapes(_with_kind(source, "bytes"), None)
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]) == b"\x89PNG"
    plain = app_index.shapes(_with_kind(source, "default"), None)
    headers = plain.get("headers") or {k: v[0] for k, v in plain["multiValueHeaders"].items()}
    assert headers["Content-Type"] == "application/hal+json"


@pytest.mark.parametrize("event", [None, [], "text", {}, {"Records": [{"eventSource": "aws:sqs"}]}], ids=repr)
def test_an_event_that_is_not_a_request_fails_the_invocation_in_one_line(app_index, event, caplog):
    # Answered with a 405, an SQS batch would count as handled and be deleted: raise, so it is retried.
    from tight.providers.aws.controllers.records import WrongEventType

    with caplog.at_level(logging.ERROR), pytest.raises(WrongEventType, match="'echo' handles HTTP requests, but got"):
        app_index.echo(event, None)
    assert len(caplog.records) == 1 and caplog.records[0].exc_info is None


@pytest.mark.parametrize("event", [
    {"httpMethod": ["GET"]}, {"httpMethod": "GET", "requestContext": "x", "pathParameters": "x"},
    {"httpMethod": "GET", "headers": {"A": 1, "B": None}, "multiValueHeaders": {"A": None, "C": [1, None]}},
    {"version": "2.0", "requestContext": {"http": {"method": "GET"}}, "rawQueryString": "a=%zz&&=&b",
     "cookies": "not a list", "queryStringParameters": {"a": 5}},
    {"requestContext": {"elb": {}}, "httpMethod": "GET", "multiValueQueryStringParameters": {"a": "x"},
     "multiValueHeaders": {"x-forwarded-for": []}},
], ids=repr)
def test_hostile_events_get_a_response_never_a_crash(app_index, event):
    response = app_index.echo(event, None)
    assert response["statusCode"] in (200, 405)
    assert isinstance(response["body"], str)


@pytest.mark.parametrize("body, content_type, status", [
    ("\udcff\ud800", None, 200),                 # lone surrogates from a JSON escape
    ("\udcff", "application/json", 400),
    ("!!!not base64", "BASE64", 400),
    ("x" * 2_000_000, None, 200),                # a huge text body
])
def test_bad_bodies_are_400_or_text(app_index, body, content_type, status):
    event = load("rest_v1", "POST", body=body)
    if content_type == "BASE64":
        event["isBase64Encoded"] = True
    elif content_type:
        set_header(event, "Content-Type", content_type)
    assert app_index.echo(event, None)["statusCode"] == status


def test_headers_are_case_insensitive_and_keep_every_value():
    from tight.providers.aws.events.http import Headers

    headers = Headers({"Content-Type": "text/plain", "X-Dup": "b"}, {"Content-Type": ["text/plain"], "X-Dup": ["a", "b"]})
    assert headers["content-type"] == headers.get("CONTENT-TYPE") == "text/plain"
    assert "x-dup" in headers and "missing" not in headers and headers.get("missing", "d") == "d"
    assert headers.get_all("x-DUP") == ["a", "b"] and headers.get_all("content-type") == ["text/plain"]
    assert sorted(headers) == ["Content-Type", "X-Dup"] and len(headers) == 2
    alb_multi = Headers(None, {"cookie": ["a=1", "b=2"]})
    assert alb_multi["Cookie"] == "a=1" and alb_multi.get_all("COOKIE") == ["a=1", "b=2"]


@pytest.mark.parametrize("content_type, body, encoded, expected", [
    ("text/csv", "YSxiCjEsMg==", True, "a,b\n1,2"),
    ("image/png", "iVBORw==", True, b"\x89PNG"),
    ("application/x-www-form-urlencoded", "a=1&b=2", False, "a=1&b=2"),
    ("application/vnd.api+json; charset=utf-8", '{"data": []}', False, {"data": []}),
    (None, "WzEsIDJd", True, [1, 2]),
    (None, "[1, 2", False, "[1, 2"),
])
def test_body_decoding_rules(content_type, body, encoded, expected):
    from tight.providers.aws.events.http import Request

    event = load("function_url", body=body, isBase64Encoded=encoded)
    if content_type:
        event["headers"]["content-type"] = content_type
    assert Request(event).body == expected
