"""tight.providers.aws.controllers.lambda_proxy_event: dispatch of real-shaped events, called directly."""
from __future__ import annotations

import logging
import types

import pytest
from aws_events import load

import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy
from tight.providers.aws.controllers import cors, registry
from tight.providers.aws.events.http import BadRequest, Request
from tight.providers.aws.lambda_app import secrets

ALLOW_ANY = {"Access-Control-Allow-Origin": "*"}
JSON = {"Content-Type": "application/json"}


@pytest.fixture(autouse=True)
def runtime_state():
    saved_headers, saved_failed = lambda_proxy.default_headers(), dict(secrets.FAILED)
    cors.configure()
    yield
    cors.configure()
    lambda_proxy.set_default_headers(saved_headers)
    secrets.FAILED.clear()
    secrets.FAILED.update(saved_failed)




def test_response_exit_carries_the_response():
    exit_ = lambda_proxy.ResponseExit("404", {"message": "gone"}, {"X-A": "1"})
    assert isinstance(exit_, BaseException) and not isinstance(exit_, Exception)
    assert exit_.response == {"statusCode": 404, "body": {"message": "gone"}, "headers": {"X-A": "1"}}
    assert exit_.args == ("404",)
    assert lambda_proxy.ResponseExit(204).response == {"statusCode": 204, "body": None}
    with pytest.raises(lambda_proxy.ResponseExit) as caught:
        lambda_proxy.exit_with_response(409, "taken", {"Retry-After": "3"})
    assert caught.value.response == {"statusCode": 409, "body": "taken", "headers": {"Retry-After": "3"}}


def test_default_headers_are_text_and_copied():
    lambda_proxy.set_default_headers({"X-Version": 2, "X-App": "a"})
    copy = lambda_proxy.default_headers()
    assert copy == {"X-Version": "2", "X-App": "a"}
    copy["X-Other"] = "o"
    assert lambda_proxy.default_headers() == {"X-Version": "2", "X-App": "a"}
    assert lambda_proxy.configure_cors is cors.configure


def test_decorators_register_their_method(controller):
    assert [(d.__name__, d.__doc__) for d in (lambda_proxy.get, lambda_proxy.head)] == [
        ("get", "Register the decorated function as the GET handler of its controller."),
        ("head", "Register the decorated function as the HEAD handler of its controller.")]
    patch = lambda_proxy._register("PATCH")  # made here, not at import: what mutation testing can reach
    assert (patch.__name__, patch.__doc__) == (
        "patch", "Register the decorated function as the PATCH handler of its controller.")

    def handle(request):
        return "ok"

    handle.__module__ = f"app.functions.{controller.name}.handler"
    assert patch(handle) is handle
    assert registry.source(controller.name) == "http"
    assert registry.dispatcher(controller.name) is lambda_proxy.dispatch
    found = lambda_proxy.handlers(controller.name)
    assert found == {"PATCH": handle}
    found.clear()
    assert lambda_proxy.handlers(controller.name) == {"PATCH": handle}
    assert lambda_proxy.handlers("no_such_controller") == {}


def test_accepted_arguments_in_a_fixed_order_and_cached():
    def named(principal_id, body, request, other=None):
        return None

    def everything(**kwargs):
        return None

    assert lambda_proxy._accepted_arguments(named) == ("request", "body", "principal_id")
    assert lambda_proxy._ACCEPTS[named] == ("request", "body", "principal_id")
    assert lambda_proxy._accepted_arguments(everything) is lambda_proxy.ARGUMENTS

    def cached(**kwargs):
        return None

    lambda_proxy._ACCEPTS[cached] = ("event",)
    assert lambda_proxy._accepted_arguments(cached) == ("event",)
    assert lambda_proxy.ARGUMENTS == ("request", "event", "context", "body", "path_parameters", "query_parameters",
                                      "principal_id")


@pytest.mark.parametrize("name, body, query, principal", [
    ("rest_v1", "just some text", {"tag": "red", "limit": "10"}, "user|7f3e"),
    ("http_api_v2", {"name": "Ada", "age": 36}, {"tag": "red", "note": "a,b", "limit": "10"},
     "c0ffee00-1234-4abc-9def-001122334455"),
])
def test_every_argument_for_kwargs_and_for_named_handlers(controller, name, body, query, principal):
    seen = {}
    controller("get", lambda **kwargs: seen.setdefault("kwargs", kwargs) and None)

    def named(request, event, context, body, path_parameters, query_parameters, principal_id):
        seen["named"] = {"request": request, "event": event, "context": context, "body": body,
                         "path_parameters": path_parameters, "query_parameters": query_parameters,
                         "principal_id": principal_id}

    controller("post", named)
    for method in ("GET", "POST"):
        event = load(name, method)
        response = lambda_proxy.dispatch(controller.name, event, "ctx")
        assert response == {"statusCode": 204, "headers": ALLOW_ANY, "body": ""}
    for found in seen.values():
        request = found.pop("request")
        assert isinstance(request, Request) and request.context == "ctx"
        assert found.pop("event")["requestContext"]["requestId"] == request.request_id
        assert found == {"context": "ctx", "body": body, "path_parameters": {"id": "42"},
                         "query_parameters": query, "principal_id": principal}


@pytest.mark.parametrize("body", [None, ""])
def test_kwargs_handlers_get_no_body_for_an_empty_one(controller, body):
    seen = {}
    controller("get", lambda **kwargs: seen.update(kwargs))
    lambda_proxy.dispatch(controller.name, load("rest_v1", body=body, pathParameters=None))
    assert (seen["body"], seen["path_parameters"]) == (None, {})


def test_kwargs_handlers_without_a_request_context(controller):
    seen = {}
    controller("get", lambda **kwargs: seen.update(kwargs))
    event = {"httpMethod": "GET", "pathParameters": types.MappingProxyType({"id": "1"}), "body": "[1]"}
    lambda_proxy.dispatch(controller.name, event)
    assert (seen["principal_id"], seen["path_parameters"], seen["body"], seen["context"]) == (None, {"id": "1"},
                                                                                           [1], None)
    assert type(seen["path_parameters"]) is dict


@pytest.mark.parametrize("name", ["rest_v1", "http_api_v2", "function_url", "alb_single"])
def test_method_without_a_handler_is_405_naming_the_allowed_ones(controller, name):
    for method in ("delete", "get", "head"):
        controller(method, lambda: None)
    response = lambda_proxy.dispatch(controller.name, load(name, "PATCH"))
    headers = {"Allow": "GET, DELETE, HEAD", **ALLOW_ANY, **JSON}
    expected = {"statusCode": 405, "headers": headers, "body": '{"message":"Method PATCH not allowed"}'}
    if name == "alb_single":
        expected.update(statusDescription="405 Method Not Allowed", isBase64Encoded=False)
    assert response == expected


def test_any_mapping_is_an_event(controller):
    controller("get", lambda request: {"method": request.method, "path": request.path})
    event = types.MappingProxyType(load("rest_v1"))
    assert lambda_proxy.dispatch(controller.name, event) == {
        "statusCode": 200, "headers": {**ALLOW_ANY, **JSON}, "body": '{"method":"GET","path":"/accounts/42"}'}


def test_no_method_and_no_event_are_405(controller):
    assert lambda_proxy.dispatch(controller.name, "not an event") == {
        "statusCode": 405, "headers": {"Allow": "", **ALLOW_ANY, **JSON}, "body": '{"message":"Method (none) not allowed"}'}
    assert lambda_proxy.dispatch(controller.name, None)["statusCode"] == 405


def test_a_preflight_is_answered_when_cors_is_on(controller):
    controller("put", lambda: None)
    controller("get", lambda: None)
    event = load("http_api_v2", "OPTIONS")
    event["headers"].update({"origin": "https://app.example.com", "access-control-request-method": "PUT"})
    assert lambda_proxy.dispatch(controller.name, event) == {
        "statusCode": 204, "headers": {"Access-Control-Allow-Origin": "*",
                                       "Access-Control-Allow-Methods": "GET, PUT, OPTIONS",
                                       "Access-Control-Max-Age": "600"}, "body": ""}
    cors.configure(origins=None)
    assert lambda_proxy.dispatch(controller.name, event)["statusCode"] == 405


def test_options_without_a_preflight_goes_to_the_handler(controller):
    controller("options", lambda: {"statusCode": 200, "body": "mine"})
    assert lambda_proxy.dispatch(controller.name, load("rest_v1", "OPTIONS")) == {
        "statusCode": 200, "headers": ALLOW_ANY, "body": "mine"}


def test_bad_request_and_exit_with_response(controller):
    def bad():
        raise BadRequest("Request body is not valid JSON")

    def leave():
        lambda_proxy.exit_with_response(403, {"message": "no"}, {"X-Why": "test"})

    controller("get", bad)
    controller("post", leave)
    assert lambda_proxy.dispatch(controller.name, load("rest_v1")) == {
        "statusCode": 400, "headers": {**ALLOW_ANY, **JSON}, "body": '{"message":"Request body is not valid JSON"}'}
    assert lambda_proxy.dispatch(controller.name, load("http_api_v2")) == {
        "statusCode": 403, "headers": {"X-Why": "test", **ALLOW_ANY, **JSON}, "body": '{"message":"no"}'}


def test_default_headers_and_a_handlers_response_object(controller):
    lambda_proxy.set_default_headers({"X-App": "tight"})
    own = lambda_proxy.Response(202, "as is")
    controller("get", lambda: own)
    controller("post", lambda: {"statusCode": 201, "body": "made"})
    assert lambda_proxy.dispatch(controller.name, load("rest_v1")) == {
        "statusCode": 202, "headers": ALLOW_ANY, "body": "as is"}  # a Response is sent as it is (no defaults)
    assert lambda_proxy.dispatch(controller.name, load("http_api_v2")) == {
        "statusCode": 201, "headers": {"X-App": "tight", **ALLOW_ANY}, "body": "made"}


@pytest.mark.parametrize("name, extra", [
    ("rest_v1", {}), ("http_api_v2", {}), ("function_url", {}),
    ("alb_multi", {"statusDescription": "503 Service Unavailable", "isBase64Encoded": False})])
def test_error_response_is_shaped_for_the_source(name, extra):
    lambda_proxy.set_default_headers({"X-App": "tight"})
    response = lambda_proxy.error_response(load(name), None, 503, "Try later")
    headers = {"X-App": "tight", **ALLOW_ANY, **JSON}
    if name == "alb_multi":
        expected = {"statusCode": 503, **extra, "multiValueHeaders": {k: [v] for k, v in headers.items()},
                    "body": '{"message":"Try later"}'}
    else:
        expected = {"statusCode": 503, "headers": headers, "body": '{"message":"Try later"}'}
    assert response == expected
    assert lambda_proxy.error_response(["odd"], None, 502, "x")["statusCode"] == 502


def _records(caplog):
    return [(r.name, r.levelname, r.getMessage(), getattr(r, "controller", None), r.exc_info is not None)
            for r in caplog.records]


def test_a_crash_is_a_500_with_its_trace_logged(controller, caplog):
    def crash():
        raise RuntimeError("secret detail")

    controller("get", crash)
    with caplog.at_level(logging.ERROR, logger="tight.lambda_proxy"):
        response = lambda_proxy.dispatch(controller.name, load("http_api_v2", "GET"))
    assert response == {"statusCode": 500, "headers": {**ALLOW_ANY, **JSON},
                        "body": '{"message":"Internal server error"}'}
    assert _records(caplog) == [("tight.lambda_proxy", "ERROR", f"Unhandled error in controller '{controller.name}'",
                                 controller.name, True)]
    assert lambda_proxy.INTERNAL_ERROR == {"message": "Internal server error"}


def test_a_body_json_cannot_carry_is_one_line(controller, caplog):
    controller("get", lambda: {"ratio": float("nan")})
    with caplog.at_level(logging.ERROR, logger="tight.lambda_proxy"):
        response = lambda_proxy.dispatch(controller.name, load("rest_v1"))
    assert response["statusCode"] == 500 and response["body"] == '{"message":"Internal server error"}'
    assert _records(caplog) == [("tight.lambda_proxy", "ERROR", (f"Controller '{controller.name}': the response "
                                 "holds NaN at body.ratio, which JSON cannot carry: return null or a string there"),
                                 controller.name, False)]


def test_an_unresolved_secret_is_one_line(controller, caplog):
    secrets.FAILED["API_TOKEN"] = "API_TOKEN=ssm:/gone cannot be resolved: ParameterNotFound"

    def needs_secret():
        raise KeyError("API_TOKEN")

    controller("get", needs_secret)
    with caplog.at_level(logging.ERROR, logger="tight.lambda_proxy"):
        response = lambda_proxy.dispatch(controller.name, load("rest_v1"))
    assert response["statusCode"] == 500
    assert _records(caplog) == [("tight.lambda_proxy", "ERROR", (f"Controller '{controller.name}' needs "
                                 "API_TOKEN=ssm:/gone cannot be resolved: ParameterNotFound"), controller.name, False)]
