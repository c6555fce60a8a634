"""tight.providers.aws.controllers.lambda_proxy_event: registration, dispatch, responses."""
from __future__ import annotations

import base64
import datetime
import decimal
import json
import logging

import pytest

import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy

UTC = datetime.timezone(datetime.timedelta(0))  # datetime.UTC needs Python 3.11





@pytest.fixture(autouse=True)
def restore_default_headers():
    saved = lambda_proxy.default_headers()
    yield
    lambda_proxy.set_default_headers(saved)


def rest_event(method="GET", **extra):
    return {"httpMethod": method, **extra}


def http_api_event(method="GET", **extra):
    return {"version": "2.0", "routeKey": f"{method} /x", "rawPath": "/x",
            "requestContext": {"http": {"method": method, "path": "/x"}}, **extra}


BOTH = pytest.mark.parametrize("make_event", [rest_event, http_api_event], ids=["rest-1.0", "httpapi-2.0"])


def test_controller_name_is_the_handler_package():
    assert lambda_proxy.controller_name("app.functions.my_controller.handler") == "my_controller"
    assert lambda_proxy.controller_name("app.functions.my_controller") == "my_controller"
    assert lambda_proxy.controller_name("handler") == "handler"


def test_decorators_return_the_function_unchanged(controller):
    def get_handler(*args, **kwargs):
        return {"statusCode": 200, "body": {"hello": "world"}}

    decorated = controller("get", get_handler)
    assert decorated is get_handler
    assert get_handler() == {"statusCode": 200, "body": {"hello": "world"}}
    assert lambda_proxy.handlers(controller.name) == {"GET": get_handler}


def test_every_method_has_a_decorator(controller):
    for method in ("get", "post", "put", "patch", "delete", "options", "head"):
        controller(method, lambda **kw: {"statusCode": 200, "body": {"method": kw["event"]["httpMethod"]}})
    for method in lambda_proxy.METHODS:
        response = lambda_proxy.dispatch(controller.name, {"httpMethod": method})
        assert json.loads(response["body"]) == {"method": method}


@BOTH
def test_dict_body_is_compact_json_with_default_headers(controller, make_event):
    controller("get", lambda *a, **kw: {"statusCode": 200, "body": {"hello": "world"}})
    response = lambda_proxy.dispatch(controller.name, make_event("GET"), {})
    assert response == {"statusCode": 200, "headers": {"Access-Control-Allow-Origin": "*",
                                                     "Content-Type": "application/json"},
                         "body": '{"hello":"world"}'}


def test_minimal_event_works(controller):
    controller("get", lambda *a, **kw: {"statusCode": 200, "body": {"ok": True}})
    response = lambda_proxy.dispatch(controller.name, {"httpMethod": "GET"}, {})
    assert response["statusCode"] == 200
    assert response["body"] == '{"ok":true}'


def test_method_is_case_insensitive(controller):
    controller("post", lambda **kw: {"statusCode": 201})
    assert lambda_proxy.dispatch(controller.name, {"httpMethod": "post"})["statusCode"] == 201


def test_rest_event_arguments(controller, event):
    seen = {}
    controller("post", lambda **kwargs: seen.update(kwargs) or {"statusCode": 201})
    event.update(httpMethod="POST", body='{"name": "x"}', pathParameters={"id": "7"},
                 queryStringParameters={"q": "term"})
    response = lambda_proxy.dispatch(controller.name, event, "ctx")
    assert response["statusCode"] == 201
    assert seen.pop("request").event is event
    assert seen == {"event": event, "context": "ctx", "body": {"name": "x"}, "path_parameters": {"id": "7"},
                    "query_parameters": {"q": "term"}, "principal_id": "user|a1b2c3d4"}


@pytest.mark.parametrize("authorizer, principal", [
    ({"lambda": {"principalId": "p-lambda"}}, "p-lambda"),
    ({"jwt": {"claims": {"sub": "p-jwt"}, "scopes": []}}, "p-jwt"),
    (None, None),
])
def test_http_api_event_arguments(controller, authorizer, principal):
    seen = {}
    controller("put", lambda **kwargs: seen.update(kwargs) or {"statusCode": 200})
    event = http_api_event("PUT", body='[1, 2]', pathParameters={"id": "9"}, queryStringParameters={"a": "b"})
    if authorizer:
        event["requestContext"]["authorizer"] = authorizer
    lambda_proxy.dispatch(controller.name, event, None)
    assert seen["body"] == [1, 2]
    assert seen["path_parameters"] == {"id": "9"}
    assert seen["query_parameters"] == {"a": "b"}
    assert seen["principal_id"] == principal


def test_handlers_get_only_the_arguments_they_name(controller):
    def get_handler(event, context):
        return {"statusCode": 200, "body": {"method": event["httpMethod"], "context": context}}

    def post_handler(body, principal_id=None):
        return {"statusCode": 200, "body": {"got": body, "principal": principal_id}}

    controller("get", get_handler)
    controller("post", post_handler)
    assert json.loads(lambda_proxy.dispatch(controller.name, rest_event(), "ctx")["body"]) == \
        {"method": "GET", "context": "ctx"}
    assert json.loads(lambda_proxy.dispatch(controller.name, rest_event("POST", body="[3]"))["body"]) == \
        {"got": [3], "principal": None}


def test_missing_keys_give_empty_parameters(controller):
    seen = {}
    controller("get", lambda **kwargs: seen.update(kwargs) or {})
    lambda_proxy.dispatch(controller.name, {"httpMethod": "GET", "pathParameters": None})
    assert (seen["body"], seen["path_parameters"], seen["query_parameters"], seen["principal_id"]) == \
        (None, {}, {}, None)


@BOTH
def test_invalid_json_body_is_400_and_handler_not_called(controller, make_event):
    called = []
    controller("post", lambda **kw: called.append(1))
    event = make_event("POST", body="{not json", headers={"Content-Type": "application/json; charset=utf-8"})
    response = lambda_proxy.dispatch(controller.name, event)
    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {"message": "Request body is not valid JSON"}
    assert response["headers"]["Access-Control-Allow-Origin"] == "*"
    assert called == []


def test_base64_json_body_is_decoded(controller):
    seen = {}
    controller("post", lambda **kw: seen.update(kw) or {})
    body = base64.b64encode(b'{"a": 1}').decode()
    lambda_proxy.dispatch(controller.name, http_api_event("POST", body=body, isBase64Encoded=True))
    assert seen["body"] == {"a": 1}


def test_non_json_content_type_gets_the_raw_body(controller):
    seen = {}
    controller("post", lambda **kw: seen.update(kw) or {})
    event = rest_event("POST", body="a=1&b=2", headers={"content-type": "application/x-www-form-urlencoded"})
    assert lambda_proxy.dispatch(controller.name, event)["statusCode"] == 200
    assert seen["body"] == "a=1&b=2"


@BOTH
def test_method_without_handler_is_405_with_allow(controller, make_event):
    controller("get", lambda **kw: {})
    controller("post", lambda **kw: {})
    response = lambda_proxy.dispatch(controller.name, make_event("DELETE"))
    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == "GET, POST"
    assert json.loads(response["body"]) == {"message": "Method DELETE not allowed"}


def test_event_without_method_is_405(controller):
    controller("get", lambda **kw: {})
    response = lambda_proxy.dispatch(controller.name, {})
    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == "GET"


def test_unknown_controller_is_405():
    response = lambda_proxy.dispatch("no_such_controller", {"httpMethod": "GET"})
    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == ""


@BOTH
def test_handler_returning_none_is_204(controller, make_event):
    controller("post", lambda *a, **kw: None)
    response = lambda_proxy.dispatch(controller.name, make_event("POST", body='{"x": 1}'))
    assert response == {"statusCode": 204, "headers": {"Access-Control-Allow-Origin": "*"}, "body": ""}


@BOTH
def test_unhandled_exception_is_500_without_details(controller, make_event, caplog):
    def boom(**kwargs):
        raise ValueError("secret database password hunter2")

    controller("get", boom)
    with caplog.at_level(logging.ERROR, logger="tight"):
        response = lambda_proxy.dispatch(controller.name, make_event("GET"))
    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {"message": "Internal server error"}
    assert "hunter2" not in json.dumps(response)
    assert "Traceback" not in json.dumps(response)
    assert response["headers"] == {"Access-Control-Allow-Origin": "*", "Content-Type": "application/json"}
    logged = [r for r in caplog.records if r.exc_info]
    assert logged and "hunter2" in str(logged[0].exc_info[1])


def test_unserializable_body_is_500(controller, caplog):
    controller("get", lambda **kw: {"statusCode": 200, "body": {"thing": object()}})
    with caplog.at_level(logging.ERROR, logger="tight"):
        response = lambda_proxy.dispatch(controller.name, rest_event())
    assert response["statusCode"] == 500
    assert caplog.records


def test_exit_with_response_ends_the_handler(controller):
    reached = []

    def handler(**kwargs):
        lambda_proxy.exit_with_response(404, {"message": "no such account"})
        reached.append(1)

    controller("get", handler)
    response = lambda_proxy.dispatch(controller.name, rest_event())
    assert response["statusCode"] == 404
    assert response["body"] == '{"message":"no such account"}'
    assert response["headers"] == {"Access-Control-Allow-Origin": "*", "Content-Type": "application/json"}
    assert reached == []


def test_exit_with_response_headers(controller):
    controller("get", lambda **kw: lambda_proxy.exit_with_response(302, None, {"Location": "/elsewhere"}))
    response = lambda_proxy.dispatch(controller.name, rest_event())
    assert response["statusCode"] == 302
    assert response["headers"]["Location"] == "/elsewhere"
    assert response["body"] == ""


def test_status_defaults_to_200(controller):
    controller("get", lambda **kw: {"statusCode": 200, "body": "plain text"})
    response = lambda_proxy.dispatch(controller.name, rest_event())
    assert response["statusCode"] == 200
    assert response["body"] == "plain text"


def test_set_default_headers_applies_app_wide(controller):
    controller("get", lambda **kw: {"statusCode": 200, "body": {}})
    lambda_proxy.set_default_headers({"Access-Control-Allow-Origin": "https://example.org", "X-Frame-Options": "DENY"})
    headers = lambda_proxy.dispatch(controller.name, rest_event())["headers"]
    assert headers == {"Access-Control-Allow-Origin": "https://example.org", "X-Frame-Options": "DENY",
                       "Content-Type": "application/json"}
    # errors get them too
    assert lambda_proxy.dispatch(controller.name, rest_event("PATCH"))["headers"]["X-Frame-Options"] == "DENY"


def test_response_headers_override_and_remove_defaults(controller):
    lambda_proxy.set_default_headers({"Access-Control-Allow-Origin": "*", "X-Default": "1"})
    controller("get", lambda **kw: {"statusCode": 200, "body": {}, "headers": {"Access-Control-Allow-Origin": "https://a.example",
                                                            "X-Default": None, "Content-Type": "application/json"}})
    headers = lambda_proxy.dispatch(controller.name, rest_event())["headers"]
    assert headers == {"Access-Control-Allow-Origin": "https://a.example", "Content-Type": "application/json"}
    assert lambda_proxy.default_headers() == {"Access-Control-Allow-Origin": "*", "X-Default": "1"}


def test_decimals_datetimes_and_sets_serialize(controller):
    when = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    controller("get", lambda **kw: {"statusCode": 200, "body": {"n": decimal.Decimal(3), "f": decimal.Decimal("1.5"),
                                             "t": when, "s": {"b", "a"}}})
    body = json.loads(lambda_proxy.dispatch(controller.name, rest_event())["body"])
    assert body == {"n": 3, "f": 1.5, "t": "2024-01-02T03:04:05+00:00", "s": ["a", "b"]}


def test_bytes_body_is_base64(controller):
    controller("get", lambda **kw: {"statusCode": 200, "body": b"\x00\xffpng", "headers": {"Content-Type": "image/png"}})
    response = lambda_proxy.dispatch(controller.name, rest_event())
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]) == b"\x00\xffpng"


def test_plain_mapping_without_response_keys_is_the_body(controller):
    controller("get", lambda **kw: {"hello": "world"})
    response = lambda_proxy.dispatch(controller.name, rest_event())
    assert response["statusCode"] == 200
    assert response["body"] == '{"hello":"world"}'


def test_list_return_is_the_body(controller):
    controller("get", lambda **kw: [1, 2])
    assert lambda_proxy.dispatch(controller.name, rest_event())["body"] == "[1,2]"


@BOTH
@pytest.mark.parametrize("body, where, what", [
    ({"ratio": float("nan")}, "body.ratio", "NaN"),
    ({"stats": [1, {"max": float("inf")}]}, "body.stats[1].max", "Infinity"),
    ([decimal.Decimal("-Infinity")], "body[0]", "-Infinity"),
    ({"d": decimal.Decimal("NaN")}, "body.d", "NaN"),
])
def test_nan_or_infinity_in_the_body_is_a_500_naming_the_key(controller, make_event, body, where, what, caplog):
    controller("get", lambda **kwargs: {"statusCode": 200, "body": body})
    with caplog.at_level(logging.ERROR, logger="tight.lambda_proxy"):
        response = lambda_proxy.dispatch(controller.name, make_event())
    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {"message": "Internal server error"}
    assert [r.getMessage() for r in caplog.records] == [
        (f"Controller {controller.name!r}: the response holds {what} at {where}, which JSON cannot carry: "
         "return null or a string there")]
    assert caplog.records[0].exc_info is None


def test_finite_floats_and_decimals_still_go_out_as_json(controller):
    controller("get", lambda: {"ratio": 0.5, "big": 1e308, "d": decimal.Decimal("2.50")})
    assert lambda_proxy.dispatch(controller.name, rest_event())["body"] == '{"ratio":0.5,"big":1e+308,"d":2.5}'
