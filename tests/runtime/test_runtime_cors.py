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
    """A preflight from ``origin`` (None: without Origin) asking for ``headers`` (None: for no headers)."""
    event = load(source, "OPTIONS", body=None)
    if origin is not None:
        set_header(event, "Origin", origin)
    set_header(event, "Access-Control-Request-Method", "POST")
    if headers is not None:
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


# -- every option, default and boundary of configure_cors -------------------------------------

APP = "https://app.example.com"
OTHER = "https://evil.example"
EVERY_METHOD = {"Access-Control-Allow-Methods": "GET, POST, OPTIONS", "Access-Control-Max-Age": "600"}


def cors_answer(controller: str, kind: str, origin: str | None) -> dict:
    """The CORS headers (and Vary) of the answer to a ``kind`` request from ``origin`` (None: no Origin):
    "preflight" asks for ``content-type, x-api-key`` ("commas": without the space), "bare" for no headers."""
    if kind == "get":
        event = load("rest_v1", "GET")
        if origin is not None:
            set_header(event, "Origin", origin)
    else:
        event = preflight(origin=origin, headers={"preflight": "content-type, x-api-key",
                                                  "commas": "content-type,x-api-key"}.get(kind))
    response = lambda_proxy.dispatch(controller, event)
    assert response["statusCode"] == (204 if kind != "get" else 200)
    return {k: v for k, v in response["headers"].items() if k.startswith("Access-Control-") or k == "Vary"}


@pytest.mark.parametrize(("settings", "kind", "origin", "expected"), [
    # A preflight that asks for no headers gets no Allow-Headers, unless the app lists its own.
    ({}, "bare", APP, {"Access-Control-Allow-Origin": "*", **EVERY_METHOD}),
    ({"headers": ["Content-Type", " X-Api-Key "]}, "bare", APP,
     {"Access-Control-Allow-Origin": "*", **EVERY_METHOD, "Access-Control-Allow-Headers": "Content-Type, X-Api-Key"}),
    ({}, "commas", APP, {"Access-Control-Allow-Origin": "*", **EVERY_METHOD,  # Chromium's spelling
                          "Access-Control-Allow-Headers": "content-type, x-api-key"}),
    ({"headers": ["Content-Type"]}, "preflight", APP,
     {"Access-Control-Allow-Origin": "*", **EVERY_METHOD, "Access-Control-Allow-Headers": "Content-Type"}),
    # The default: any origin, even none, and no Vary (the answer does not depend on the origin).
    ({}, "get", None, {"Access-Control-Allow-Origin": "*"}),
    ({}, "get", APP, {"Access-Control-Allow-Origin": "*"}),
    # A restricted list without credentials: the origin echoed, never "*", always Vary: Origin.
    ({"origins": [APP]}, "preflight", APP, {
        "Access-Control-Allow-Origin": APP, **EVERY_METHOD,
        "Access-Control-Allow-Headers": "content-type, x-api-key", "Vary": "Origin"}),
    ({"origins": [APP]}, "bare", APP, {"Access-Control-Allow-Origin": APP, **EVERY_METHOD, "Vary": "Origin"}),
    ({"origins": [APP]}, "get", APP, {"Access-Control-Allow-Origin": APP, "Vary": "Origin"}),
    ({"origins": [APP]}, "get", OTHER, {"Vary": "Origin"}),
    ({"origins": [APP]}, "get", None, {"Vary": "Origin"}),
    ({"origins": [APP]}, "preflight", OTHER, {"Vary": "Origin"}),  # refused, and cacheable only per origin
    ({"origins": [APP, OTHER]}, "get", OTHER, {"Access-Control-Allow-Origin": OTHER, "Vary": "Origin"}),
    # Credentials: Allow-Credentials on preflights and on the actual responses to allowed origins.
    ({"origins": [APP], "credentials": True}, "get", APP, {
        "Access-Control-Allow-Origin": APP, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}),
    ({"origins": [APP], "credentials": True}, "get", OTHER, {"Vary": "Origin"}),
    ({"origins": [APP], "credentials": True}, "bare", APP, {
        "Access-Control-Allow-Origin": APP, **EVERY_METHOD, "Access-Control-Allow-Credentials": "true",
        "Vary": "Origin"}),
    # methods= replaces the controller's methods; OPTIONS is added once.
    ({"methods": ["get", "Put"]}, "bare", APP, {
        "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, PUT, OPTIONS",
        "Access-Control-Max-Age": "600"}),
    ({"methods": ["OPTIONS", "delete"]}, "bare", APP, {
        "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "OPTIONS, DELETE",
        "Access-Control-Max-Age": "600"}),
    ({"methods": []}, "bare", APP, {
        "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "OPTIONS", "Access-Control-Max-Age": "600"}),
    # max_age: None sends none, 0 is a value, a float is whole seconds.
    ({"max_age": None}, "bare", APP, {"Access-Control-Allow-Origin": "*",
                                      "Access-Control-Allow-Methods": "GET, POST, OPTIONS"}),
    ({"max_age": 0}, "bare", APP, {**EVERY_METHOD, "Access-Control-Allow-Origin": "*", "Access-Control-Max-Age": "0"}),
    ({"max_age": 86400.9}, "bare", APP, {**EVERY_METHOD, "Access-Control-Allow-Origin": "*",
                                         "Access-Control-Max-Age": "86400"}),
    # origins as one string is one origin, not its characters.
    ({"origins": APP}, "get", APP, {"Access-Control-Allow-Origin": APP, "Vary": "Origin"}),
    ({"origins": APP}, "get", "h", {"Vary": "Origin"}),
    # A configured origin's trailing / (and spaces) do not matter: browsers send none.
    ({"origins": [f" {APP}/ "]}, "get", APP, {"Access-Control-Allow-Origin": APP, "Vary": "Origin"}),
    ({"origins": [f"{APP}/"]}, "preflight", APP, {
        "Access-Control-Allow-Origin": APP, **EVERY_METHOD,
        "Access-Control-Allow-Headers": "content-type, x-api-key", "Vary": "Origin"}),
    ({"origins": [APP]}, "get", f"{APP}/", {"Access-Control-Allow-Origin": f"{APP}/", "Vary": "Origin"}),
    # "*" with credentials: browsers refuse "*" with credentials, so the origin is echoed, with Vary.
    ({"origins": "*", "credentials": True}, "get", APP, {
        "Access-Control-Allow-Origin": APP, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}),
    ({"origins": "*", "credentials": True}, "get", None, {"Vary": "Origin"}),
    ({"origins": "*", "credentials": True}, "bare", OTHER, {
        "Access-Control-Allow-Origin": OTHER, **EVERY_METHOD, "Access-Control-Allow-Credentials": "true",
        "Vary": "Origin"}),
    ({"origins": "*", "credentials": True}, "bare", None, {"Vary": "Origin"}),
    # "*" with expose_headers: still "*" (no Vary), and the exposed headers listed.
    ({"origins": "*", "expose_headers": ["X-Total", "X-Page"]}, "get", APP, {
        "Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "X-Total, X-Page"}),
    ({"origins": "*", "expose_headers": ["X-Total"]}, "get", None, {
        "Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "X-Total"}),
    ({"origins": [APP], "expose_headers": "X-Total"}, "get", OTHER, {"Vary": "Origin"}),
])
def test_cors_options(controller, settings, kind, origin, expected):
    cors.configure(**settings)
    assert cors_answer(controller, kind, origin) == expected


def test_configure_reads_its_arguments_into_settings():
    policy = cors.configure(origins=(f"{APP}/", " null "), headers="X-One", methods=("get",), max_age=5,
                            credentials=1, expose_headers=[" X-Total "])
    assert policy is cors.settings()
    assert (policy.origins, policy.headers, policy.methods, policy.expose_headers, policy.max_age,
            policy.credentials) == ((APP, "null"), ("X-One",), ("GET",), ("X-Total",), 5, True)
    assert repr(policy) == ("CorsSettings(origins=('https://app.example.com', 'null'), headers=('X-One',), "
                            "methods=('GET',), expose_headers=('X-Total',), max_age=5, credentials=True)")
    assert (cors.configure(origins=()).origins, cors.configure(origins=[]).allowed_origin(APP)) == ((), None)
    assert cors.configure(None) is None and cors.settings() is None
    off = cors.preflight({"origin": APP, "access-control-request-method": "GET"}, ["GET"])
    assert (off.status, off.headers) == (204, {})
    assert repr(cors.CorsSettings()) == ("CorsSettings(origins=('*',), headers=None, methods=None, "
                                        "expose_headers=(), max_age=600, credentials=False)")


def test_an_options_request_that_is_not_a_preflight_reaches_the_method_table(controller):
    event = load("rest_v1", "OPTIONS", body=None)
    set_header(event, "Origin", APP)  # no Access-Control-Request-Method: not a preflight
    response = lambda_proxy.dispatch(controller, event)
    assert response["statusCode"] == 405
    assert response["headers"]["Access-Control-Allow-Origin"] == "*"
    assert cors.is_preflight("OPTIONS", {"access-control-request-method": "GET"})
    assert not cors.is_preflight("GET", {"access-control-request-method": "GET"})
    assert not cors.is_preflight("OPTIONS", {"origin": APP})
