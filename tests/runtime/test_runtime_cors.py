"""CORS: app-wide settings, preflights answered for every controller, proven in headless Chromium."""
from __future__ import annotations

import importlib
import json
import sys

import pytest
from aws_events import load, set_header
from conftest import browse
from conftest import serve_wsgi as serve
from runtime_helpers import forget_app_modules, make_app

import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy
from tight.providers.aws.controllers import cors

NO_OPTIONS = '''\
import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy


@lambda_proxy.get
def get_handler(request):
    return {"hello": "world"}


@lambda_proxy.post
def post_handler(body, request):
    return {"statusCode": 201, "body": {"got": body, "origin": request.headers.get("origin")}}
'''


@pytest.fixture(autouse=True)
def default_cors():
    yield
    cors.configure()


@pytest.fixture
def controller():
    def get_handler(request):
        return {"ok": True}

    def post_handler(body):
        return {"statusCode": 201, "body": body}

    for function, method in ((get_handler, "get"), (post_handler, "post")):
        function.__module__ = "app.functions.cors_probe.handler"
        getattr(lambda_proxy, method)(function)
    return "cors_probe"


def preflight(source="rest_v1", origin="https://app.example.com", headers="content-type, x-api-key"):
    event = load(source, "OPTIONS", body=None)
    set_header(event, "Origin", origin)
    set_header(event, "Access-Control-Request-Method", "POST")
    set_header(event, "Access-Control-Request-Headers", headers)
    return event


@pytest.mark.parametrize("source", ["rest_v1", "http_api_v2", "alb_multi"])
def test_preflight_is_answered_without_an_options_handler(controller, source):
    response = lambda_proxy.dispatch(controller, preflight(source))
    assert response["statusCode"] == 204
    headers = response.get("headers") or {k: v[0] for k, v in response["multiValueHeaders"].items()}
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
    assert headers["Access-Control-Allow-Headers"] == "content-type, x-api-key"
    assert headers["Access-Control-Max-Age"] == "600"
    assert "Vary" not in headers


def test_listed_origins_are_echoed_with_vary(controller):
    cors.configure(origins=["https://app.example.com"], headers=["Content-Type"], max_age=60, credentials=True,
                   expose_headers=["X-Total"])
    response = lambda_proxy.dispatch(controller, preflight())
    assert response["headers"] == {
        "Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type", "Access-Control-Max-Age": "60",
        "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}
    actual = set_header(load("rest_v1", "GET"), "Origin", "https://app.example.com")
    headers = lambda_proxy.dispatch(controller, actual)["headers"]
    assert headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert headers["Access-Control-Expose-Headers"] == "X-Total"
    assert headers["Vary"] == "Origin"
    stranger = set_header(load("rest_v1", "GET"), "Origin", "https://evil.example")
    headers = lambda_proxy.dispatch(controller, stranger)["headers"]
    assert "Access-Control-Allow-Origin" not in headers and headers["Vary"] == "Origin"
    refused = lambda_proxy.dispatch(controller, preflight(origin="https://evil.example"))
    assert refused["statusCode"] == 204 and "Access-Control-Allow-Origin" not in refused["headers"]


def test_cors_off_leaves_preflights_to_options_handlers(controller):
    lambda_proxy.configure_cors(None)
    response = lambda_proxy.dispatch(controller, preflight())
    assert response["statusCode"] == 405
    assert "Access-Control-Allow-Origin" not in response["headers"]


# -- a real browser ----------------------------------------------------------------------

PAGE = """<!doctype html><html><body><pre id="out">pending</pre><script>
fetch("%s/items", {method: "POST", headers: {"Content-Type": "application/json", "X-Api-Key": "k"},
                   body: JSON.stringify({name: "from the browser"})})
  .then(r => r.json().then(j => "status " + r.status + " " + JSON.stringify(j)))
  .catch(e => "failed: " + e)
  .then(text => { document.getElementById("out").textContent = text; });
</script></body></html>"""


def wsgi_to_lambda(entry_point):
    """A minimal WSGI adapter: each request becomes a REST (1.0) event for ``entry_point``."""
    def application(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length).decode("utf-8") if length else None
        headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        event = {"httpMethod": environ["REQUEST_METHOD"], "path": environ["PATH_INFO"], "headers": headers,
                 "multiValueHeaders": {k: [v] for k, v in headers.items()}, "body": body,
                 "isBase64Encoded": False, "requestContext": {"stage": "local", "requestId": "local"}}
        response = entry_point(event, None)
        pairs = list(response.get("headers", {}).items())
        pairs += [(k, v) for k, values in response.get("multiValueHeaders", {}).items() for v in values]
        start_response(f"{response['statusCode']} X", pairs)
        return [response["body"].encode("utf-8")]
    return application


def page_app(api):
    def application(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html")])
        return [(PAGE % api).encode("utf-8")]
    return application


@pytest.fixture
def api_app(tmp_path, monkeypatch):
    forget_app_modules()
    monkeypatch.setattr(sys, "path", list(sys.path))
    root = make_app(tmp_path / "api", functions={"items": NO_OPTIONS})
    sys.path.insert(0, str(root))
    yield root
    forget_app_modules()


def test_a_browser_posts_json_across_origins(api_app, tmp_path):
    """Page on one origin, API on another: the preflight (no @options handler) and the POST pass."""
    app_index = importlib.import_module("app_index")
    with serve(wsgi_to_lambda(app_index.items)) as api, serve(page_app(api)) as page:
        allowed_origin = page.replace("127.0.0.1", "localhost")
        lambda_proxy.configure_cors(origins=[allowed_origin])
        text = browse(f"{allowed_origin}/", tmp_path / "profile1")
        expected = json.dumps({"got": {"name": "from the browser"}, "origin": allowed_origin}, separators=(",", ":"))
        assert text == "status 201 " + expected
        # The same page from an origin the app does not list: the browser refuses the answer.
        refused = browse(f"{page}/", tmp_path / "profile2")
        assert refused.startswith("failed: TypeError"), refused


def test_a_handler_can_remove_or_replace_the_cors_header():
    def put_handler(**kwargs):
        return {"statusCode": 200, "body": {}, "headers": {"Access-Control-Allow-Origin": None}}

    def delete_handler(**kwargs):
        return {"statusCode": 200, "body": {}, "headers": {"Access-Control-Allow-Origin": "https://mine.example"}}

    for function, method in ((put_handler, "put"), (delete_handler, "delete")):
        function.__module__ = "app.functions.cors_override.handler"
        getattr(lambda_proxy, method)(function)
    removed = lambda_proxy.dispatch("cors_override", load("rest_v1", "PUT", body=None))["headers"]
    assert "Access-Control-Allow-Origin" not in removed
    replaced = lambda_proxy.dispatch("cors_override", load("rest_v1", "DELETE", body=None))["headers"]
    assert replaced["Access-Control-Allow-Origin"] == "https://mine.example"
