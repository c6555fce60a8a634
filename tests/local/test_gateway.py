"""tight.dev.gateway: request parts -> API Gateway events, proxy responses -> HTTP (no sockets)."""
from __future__ import annotations

import base64

import pytest

from tight.dev.gateway import (
    BAD_GATEWAY,
    LambdaContext,
    Request,
    build_event,
    http_response,
    is_text,
)
from tight.dev.routes import Match, Route

MATCH = Match(Route("accounts", "/accounts/{id}"), {"id": "42"})
NOW = 1_700_000_000.5


def request(**kw):
    base = {"method": "GET", "path": "/accounts/42", "headers": (("Host", "localhost:3000"),)}
    return Request(**{**base, **kw})


def test_rest_event_without_query_body_or_params_has_nulls_as_aws_sends():
    event = build_event(request(path="/x"), Match(Route("x", "/x"), {}), "1.0", "dev", "rid", NOW)
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["stageVariables"] is None
    assert event["body"] is None and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["requestTimeEpoch"] == 1_700_000_000_500
    assert context["requestTime"] == "14/Nov/2023:22:13:20 +0000"
    assert context["path"] == "/dev/x"
    assert context["domainName"] == "localhost"
    assert context["requestId"] == context["extendedRequestId"] == "rid"
    assert set(event) == {"resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
                          "multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext",
                          "body", "isBase64Encoded"}


def test_http_event_query_blank_values_and_cookie_header_split():
    req = request(query="a=&b=1&b=2", headers=(("Host", "h"), ("Cookie", "x=1; y=2"), ("Cookie", "z=3")))
    event = build_event(req, MATCH, "2.0", "dev", "rid", NOW)
    assert event["queryStringParameters"] == {"a": "", "b": "1,2"}
    assert event["cookies"] == ["x=1", "y=2", "z=3"]
    assert event["headers"] == {"host": "h"}
    assert event["pathParameters"] == {"id": "42"}
    assert event["requestContext"]["timeEpoch"] == 1_700_000_000_500


@pytest.mark.parametrize(("content_type", "body", "text"), [
    (None, b'{"a": 1}', True),
    ("application/json; charset=utf-8", "é".encode(), True),
    ("text/csv", b"a,b", True),
    ("application/vnd.api+json", b"{}", True),
    ("application/octet-stream", b"abc", False),
    ("image/png", b"\x89PNG", False),
    (None, b"\xff\xfe", False),
])
def test_text_or_base64(content_type, body, text):
    assert is_text(content_type, body) is text
    headers = (("Content-Type", content_type),) if content_type else ()
    event = build_event(request(method="POST", body=body, headers=headers), MATCH, "1.0")
    assert event["isBase64Encoded"] is (not text)
    assert (base64.b64decode(event["body"]) if not text else event["body"].encode()) == body


def test_unknown_payload_is_refused():
    with pytest.raises(ValueError, match="payload"):
        build_event(request(), MATCH, "3.0")


def test_rest_response_merges_headers_and_multi_value_headers():
    answer = http_response({"statusCode": 201, "headers": {"A": "1", "B": 2, "Content-Type": "text/plain"},
                            "multiValueHeaders": {"B": ["x", "y"]}, "body": "hi"}, "1.0")
    assert answer.status == 201 and answer.error is None
    assert answer.headers == [("B", "x"), ("B", "y"), ("A", "1"), ("Content-Type", "text/plain")]
    assert answer.body == b"hi"


def test_rest_response_default_content_type_and_base64():
    answer = http_response({"statusCode": "200", "body": base64.b64encode(b"\x00\x01").decode(),
                            "isBase64Encoded": True}, "1.0")
    assert answer.body == b"\x00\x01"
    assert answer.headers == [("Content-Type", "application/json")]


@pytest.mark.parametrize(("response", "payload", "reason"), [
    ("just text", "1.0", "returned str"),
    (None, "1.0", "returned NoneType"),
    ({"statusCode": 200, "body": {"a": 1}}, "1.0", "body must be a string, got dict"),
    ({"statusCode": 200, "body": {"a": 1}}, "2.0", "body must be a string, got dict"),
    ({"statusCode": "ok"}, "1.0", "statusCode must be a number"),
    ({"statusCode": 99}, "2.0", "statusCode 99"),
    ({"statusCode": True}, "1.0", "statusCode True"),
    ({"statusCode": 200, "extra": 1}, "1.0", "unexpected key extra"),
    ({"statusCode": 200, "isBase64Encoded": "yes"}, "1.0", "isBase64Encoded must be true or false"),
    ({"statusCode": 200, "isBase64Encoded": True, "body": "***"}, "2.0", "not valid base64"),
    ({"statusCode": 200, "headers": ["a"]}, "1.0", "headers must be an object"),
    ({"statusCode": 200, "headers": {"a": {"b": 1}}}, "2.0", "headers.a must be a string"),
    ({"statusCode": 200, "multiValueHeaders": {"a": "b"}}, "1.0", "multiValueHeaders.a must be a list"),
    ({"statusCode": 200, "cookies": "a=1"}, "2.0", "cookies must be a list"),
    ({1, 2}, "2.0", "not JSON"),
])
def test_malformed_responses_are_502_with_a_reason(response, payload, reason):
    answer = http_response(response, payload)
    assert answer.status == 502
    assert answer.body == BAD_GATEWAY
    assert reason in answer.error
    assert answer.error.startswith("Malformed Lambda proxy response: ")


def test_http_response_without_status_is_a_json_200_and_notes_ignored_keys():
    answer = http_response({"hello": "world"}, "2.0")
    assert (answer.status, answer.body) == (200, b'{"hello": "world"}')
    assert answer.headers == [("Content-Type", "application/json")]
    answer = http_response({"statusCode": 200, "multiValueHeaders": {"a": ["b"]}, "cookies": ["c=1"]}, "2.0")
    assert answer.notes == ("payload 2.0 ignores the response's multiValueHeaders",)
    assert answer.headers == [("Set-Cookie", "c=1")]


def test_context_has_what_handlers_read():
    context = LambdaContext("accounts", 512, 10, "rid", "eu-west-1")
    assert context.invoked_function_arn == "arn:aws:lambda:eu-west-1:123456789012:function:accounts"
    assert context.memory_limit_in_mb == "512"
    assert context.aws_request_id == "rid"
    assert 0 < context.get_remaining_time_in_millis() <= 10_000


def test_lambda_payload_limit_is_measured_only_for_big_bodies():
    from tight.dev.gateway import MAX_LAMBDA_BYTES, over_lambda_limit

    assert over_lambda_limit("response", {"statusCode": 200, "body": "x" * 100}) is None
    assert over_lambda_limit("response", {"statusCode": 200, "body": "x" * (MAX_LAMBDA_BYTES - 100)}) is None
    problem = over_lambda_limit("response", {"statusCode": 200, "body": "é" * (MAX_LAMBDA_BYTES // 2)})
    assert problem.startswith("the response is ") and "Lambda allows 6,291,456" in problem
    assert over_lambda_limit("event", ["not", "a", "mapping"]) is None
