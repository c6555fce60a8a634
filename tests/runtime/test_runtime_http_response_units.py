"""tight.providers.aws.controllers.http_response: results shaped for each HTTP source, read directly."""
from __future__ import annotations

import datetime
import decimal
import json
import logging

import pytest

from tight.providers.aws.controllers import http_response
from tight.providers.aws.controllers.http_response import (
    NotJson,
    Response,
    build,
    dumps,
    render,
)

UTC = datetime.timezone(datetime.timedelta(0))
SOURCES = ("rest", "http-api", "function-url", "alb")


def test_dumps_is_compact_and_reads_decimals_datetimes_and_sets():
    value = {"int": decimal.Decimal(3), "whole": decimal.Decimal("2.000"), "float": decimal.Decimal("0.5"),
             "when": datetime.datetime(2026, 3, 12, 9, 14, 27, tzinfo=UTC), "day": datetime.date(2026, 3, 12),
             "set": {3, 1, 2}, "frozen": frozenset({"b", "a"}), "list": [1, "x", None, True], "mixed": {1, "a"}}
    assert dumps(value) == ('{"int":3,"whole":2,"float":0.5,"when":"2026-03-12T09:14:27+00:00",'
                            '"day":"2026-03-12","set":[1,2,3],"frozen":["a","b"],"list":[1,"x",null,true],'
                            '"mixed":["a",1]}')  # sorted by repr: "'a'" < "1"
    assert dumps("caf\u00e9") == '"caf\\u00e9"'
    assert type(json.loads(dumps(decimal.Decimal(7)))) is int


def test_dumps_refuses_other_objects():
    with pytest.raises(TypeError) as caught:
        dumps({"a": object()})
    assert str(caught.value) == "Object of type object is not JSON serializable"


@pytest.mark.parametrize("value, message", [
    ({"stats": {"ratio": float("nan")}}, "the response holds NaN at body.stats.ratio"),
    ([1, {"a": [0, float("inf")]}], "the response holds Infinity at body[1].a[1]"),
    ((float("-inf"),), "the response holds -Infinity at body[0]"),
    ({"d": decimal.Decimal("NaN")}, "the response holds NaN at body.d"),
    ({"d": decimal.Decimal("sNaN")}, "the response holds NaN at body.d"),
    ({"d": [decimal.Decimal("Infinity")]}, "the response holds Infinity at body.d[0]"),
    ({"ok": 1.5, "d": decimal.Decimal("-Infinity")}, "the response holds -Infinity at body.d"),
    (float("nan"), "the response holds NaN at body"),
])
def test_non_finite_numbers_name_their_place(value, message):
    with pytest.raises(NotJson) as caught:
        dumps(value)
    assert str(caught.value) == message + ", which JSON cannot carry: return null or a string there"
    assert isinstance(caught.value, ValueError) and NotJson.one_line is True


def test_non_finite_deeper_than_the_search_is_a_plain_value_error():
    value = float("nan")
    for _ in range(202):
        value = [value]
    with pytest.raises(ValueError) as caught:
        dumps(value)
    assert type(caught.value) is ValueError
    assert http_response._non_finite(value, "body", 0) is None
    with pytest.raises(NotJson):  # 200 deep: still named
        dumps(value[0])
    deep_decimal = decimal.Decimal("NaN")
    for _ in range(202):
        deep_decimal = [deep_decimal]
    with pytest.raises(ValueError) as caught:
        dumps(deep_decimal)
    assert str(caught.value) == "Out of range Decimal values are not JSON compliant"
    assert http_response._non_finite(value[0], "body", 0) == ("body" + "[0]" * 201, "NaN")  # 200 deep: found
    assert http_response._non_finite(value[0], "body", 1) is None


def test_non_finite_finds_nothing_in_finite_values():
    assert http_response._non_finite({"a": [1.0, decimal.Decimal(2), "nan", None]}, "body", 0) is None


def test_response_headers():
    response = Response(200)
    assert (response.status, response.body, response.base64, response.description) == (200, "", False, None)
    response.set("X-Count", 3)
    response.set("X-List", ["a", 2])
    response.set("x-list", ("b",))
    response.set("Set-Cookie", "a=1")
    response.set("set-cookie", ["b=2", "c=3"])
    response.set("X-Gone", "x")
    response.set("x-gone", None)
    assert response.headers == {"x-count": ("X-Count", ["3"]), "x-list": ("x-list", ["b"])}
    assert response.cookies == ["a=1", "b=2", "c=3"]
    assert response.has("X-COUNT") and not response.has("x-gone") and not response.has("set-cookie")
    assert response.was_removed("X-Gone") and not response.was_removed("x-count")
    response.setdefault("x-count", "9")
    response.setdefault("X-New", "n")
    assert response.headers["x-count"] == ("X-Count", ["3"]) and response.headers["x-new"] == ("X-New", ["n"])


@pytest.mark.parametrize("source, multi_value", [("rest", False), ("http-api", False), ("function-url", False),
                                                 ("alb", False), ("alb", True)])
def test_a_header_without_values_is_not_sent(source, multi_value):
    """An empty list removes the header on every source (ALB in single-value mode answered 500)."""
    result = {"statusCode": 200, "headers": {"X-Empty": [], "X-Kept": "k"}, "multiValueHeaders": {"X-App": ()},
              "body": "ok"}
    response = build(result, {"X-App": "tight"})
    assert response.headers == {"x-kept": ("X-Kept", ["k"])} and response.was_removed("x-app")
    out = render(response, source, multi_value)
    headers = out.get("multiValueHeaders", out.get("headers"))
    assert headers == ({"X-Kept": ["k"]} if multi_value else {"X-Kept": "k"})


def test_add_vary_keeps_the_existing_fields_once():
    response = Response(200)
    response.add_vary("Origin")
    assert response.headers["vary"] == ("Vary", ["Origin"])
    response.set("vary", ["Accept-Encoding, ", " origin"])
    response.add_vary("Origin")
    assert response.headers["vary"] == ("vary", ["Accept-Encoding, ", " origin"])
    response.add_vary("Accept")
    assert response.headers["vary"] == ("Vary", ["Accept-Encoding, origin, Accept"])


def _shape(response: Response) -> tuple:
    return response.status, response.headers, response.cookies, response.body, response.base64, response.description


def test_build_none_is_a_204_with_the_defaults():
    assert _shape(build(None, {"X-App": "1"})) == (204, {"x-app": ("X-App", ["1"])}, [], "", False, None)


@pytest.mark.parametrize("result, body", [
    ({"hello": "world"}, '{"hello":"world"}'), ([1, 2], "[1,2]"), (0, "0"), (False, "false"),
    ({"body": "x", "headers": {}}, '{"body":"x","headers":{}}'),
])
def test_build_anything_but_a_proxy_response_is_a_json_200(result, body, caplog):
    with caplog.at_level(logging.DEBUG):
        assert _shape(build(result, {})) == (200, {"content-type": ("Content-Type", ["application/json"])}, [], body,
                                             False, None)
    assert caplog.records == []  # no "unknown keys" warning


def test_build_a_text_result_is_a_text_200():
    assert _shape(build("plain", {})) == (200, {}, [], "plain", False, None)


def test_build_reads_every_proxy_key():
    result = {"statusCode": "201", "statusDescription": "201 Made", "isBase64Encoded": True, "body": "AAEC",
              "multiValueHeaders": {"X-Multi": ["a", "b"], "X-One": "single", "X-Both": ["m"]},
              "headers": {"X-Both": "h", "X-Default": None, 5: 6}, "cookies": ("c=1", 2)}
    response = build(result, {"X-Default": "d", "X-Kept": "k"})
    assert _shape(response) == (201, {"x-kept": ("X-Kept", ["k"]), "x-multi": ("X-Multi", ["a", "b"]),
                                      "x-one": ("X-One", ["single"]), "x-both": ("X-Both", ["h"]),
                                      "5": ("5", ["6"])}, ["c=1", "2"], "AAEC", True, "201 Made")
    assert response.was_removed("x-default")


@pytest.mark.parametrize("status", [None, 0, ""])
def test_build_status_defaults_to_200(status):
    assert build({"statusCode": status, "body": "x"}, {}).status == 200


def test_build_ignores_odd_headers_cookies_and_description():
    response = build({"statusCode": 404, "headers": ["X-A"], "multiValueHeaders": "no", "cookies": "a=1",
                      "statusDescription": "", "body": None}, {})
    assert _shape(response) == (404, {}, [], "", False, None)


def test_build_drops_unknown_keys_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="tight.lambda_proxy"):
        response = build({"statusCode": 200, "body": "ok", "zeta": 1, "Alpha": 2}, {})
    assert _shape(response) == (200, {}, [], "ok", False, None)
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ("tight.lambda_proxy", "WARNING", "Dropped unknown response keys (not sent): Alpha, zeta")]


def test_build_known_keys_log_nothing(caplog):
    with caplog.at_level(logging.DEBUG):
        build({key: None for key in http_response.KNOWN_KEYS} | {"statusCode": 200}, {})
    assert caplog.records == []
    assert http_response.KNOWN_KEYS == {"statusCode", "body", "headers", "multiValueHeaders", "isBase64Encoded",
                                        "cookies", "statusDescription"}


@pytest.mark.parametrize("body, encoded, out, base64", [
    (b"\x00\xff", False, "AP8=", True), (bytearray(b"ab"), False, "YWI=", True), ("text", False, "text", False),
    ("AP8=", True, "AP8=", True), (None, True, "", False), ({"a": 1}, True, '{"a":1}', False),
])
def test_body_encodings(body, encoded, out, base64):
    response = build({"statusCode": 200, "body": body, "isBase64Encoded": encoded}, {})
    assert (response.body, response.base64) == (out, base64)


def test_a_json_body_keeps_the_handlers_content_type():
    response = build({"statusCode": 200, "body": [1], "headers": {"content-type": "application/hal+json"}}, {})
    assert response.headers == {"content-type": ("content-type", ["application/hal+json"])}


def _full() -> Response:
    response = Response(201, "{}")
    response.set("Content-Type", "application/json")
    response.set("X-Multi", ["a", "b"])
    response.cookies.extend(["a=1; Path=/", "b=2"])
    return response


def test_render_rest_splits_single_and_multi_values():
    assert render(_full(), "rest") == {
        "statusCode": 201, "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"X-Multi": ["a", "b"], "Set-Cookie": ["a=1; Path=/", "b=2"]}, "body": "{}"}
    assert render(Response(200, "x"), "rest") == {"statusCode": 200, "headers": {}, "body": "x"}
    encoded = Response(200, "AP8=", base64_encoded=True)
    assert render(encoded, "rest") == {"statusCode": 200, "headers": {}, "body": "AP8=", "isBase64Encoded": True}


@pytest.mark.parametrize("source", ["http-api", "function-url"])
def test_render_payload_2_joins_values_and_lists_cookies(source):
    assert render(_full(), source) == {
        "statusCode": 201, "headers": {"Content-Type": "application/json", "X-Multi": "a,b"},
        "cookies": ["a=1; Path=/", "b=2"], "body": "{}"}
    assert render(Response(204), source) == {"statusCode": 204, "headers": {}, "body": ""}


def test_render_alb_multi_value():
    assert render(_full(), "alb", multi_value=True) == {
        "statusCode": 201, "statusDescription": "201 Created",
        "multiValueHeaders": {"Content-Type": ["application/json"], "X-Multi": ["a", "b"],
                              "Set-Cookie": ["a=1; Path=/", "b=2"]},
        "body": "{}", "isBase64Encoded": False}


def test_render_alb_single_value_keeps_the_last_value(caplog):
    with caplog.at_level(logging.WARNING, logger="tight.lambda_proxy"):
        out = render(_full(), "alb")
    assert out == {"statusCode": 201, "statusDescription": "201 Created",
                   "headers": {"Content-Type": "application/json", "X-Multi": "b", "Set-Cookie": "b=2"},
                   "body": "{}", "isBase64Encoded": False}
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ("tight.lambda_proxy", "WARNING", ("ALB single-value headers mode sends one Set-Cookie; 1 dropped "
                                          "(turn on multi-value headers on the target group)"))]


def test_render_alb_one_cookie_is_no_warning(caplog):
    response = Response(200, "AP8=", base64_encoded=True)
    response.cookies.append("a=1")
    with caplog.at_level(logging.DEBUG):
        out = render(response, "alb")
    assert out == {"statusCode": 200, "statusDescription": "200 OK", "headers": {"Set-Cookie": "a=1"},
                   "body": "AP8=", "isBase64Encoded": True}
    assert caplog.records == []


@pytest.mark.parametrize("status, description", [(599, "599"), (418, "418 I'm a Teapot"), (404, "404 Not Found")])
def test_render_alb_status_description(status, description):
    out = render(Response(status), "alb", multi_value=True)
    assert out == {"statusCode": status, "statusDescription": description, "multiValueHeaders": {}, "body": "",
                   "isBase64Encoded": False}
    own = Response(status)
    own.description = "999 Mine"
    assert render(own, "alb")["statusDescription"] == "999 Mine"


def test_phrase():
    assert (http_response._phrase(200), http_response._phrase(502), http_response._phrase(799)) == (
        "OK", "Bad Gateway", "")
