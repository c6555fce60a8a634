"""tight.providers.aws.events.http read directly (no app, no server): each HTTP source's event as AWS sends it."""
from __future__ import annotations

import base64
import json
import types

import pytest
from aws_events import load

from tight.providers.aws.events import http
from tight.providers.aws.events.http import (
    BadRequest,
    Headers,
    Request,
    event_format,
    principal_id,
)


def test_source_names():
    assert (http.REST, http.HTTP_API, http.FUNCTION_URL, http.ALB) == ("rest", "http-api", "function-url", "alb")


@pytest.mark.parametrize("name, source", [
    ("rest_v1", "rest"), ("http_api_v2", "http-api"), ("function_url", "function-url"), ("alb_single", "alb"),
    ("alb_multi", "alb"), ("authorizer_request_v1", "rest"), ("authorizer_request_v2", "http-api")])
def test_event_format_of_real_events(name, source):
    assert event_format(load(name)) == source
    assert Request(load(name)).source == source


def test_event_format_without_a_version_or_with_odd_contexts():
    unversioned = load("http_api_v2")
    del unversioned["version"]
    assert event_format(unversioned) == "http-api"  # "http" in the request context is enough
    url = load("function_url")
    del url["version"]
    assert event_format(url) == "function-url"
    no_domain = load("http_api_v2")
    no_domain["requestContext"]["domainName"] = None
    assert event_format(no_domain) == "http-api"
    assert event_format({"version": "2.0"}) == "http-api"
    assert event_format({"version": "1.0", "requestContext": {"elb": {}}}) == "alb"
    assert event_format({"requestContext": "not a mapping", "httpMethod": "GET"}) == "rest"
    assert event_format({}) == "rest"


def test_mapping_keeps_mappings_and_drops_the_rest():
    plain = {"a": 1}
    frozen = types.MappingProxyType({"b": 2})
    assert http._mapping(plain) is plain
    assert http._mapping(frozen) is frozen
    assert http._mapping(["a"]) == {}
    assert http._mapping(None) == {}


def test_headers_are_case_insensitive_and_single_values_win():
    headers = Headers({"Content-Type": "text/plain", "X-Gone": None, 7: 8},
                      {"content-type": ["a/b", "c/d"], "X-Multi": ["one", "two"], "X-Empty": [], "X-Odd": "zz"})
    assert headers["CONTENT-TYPE"] == "text/plain"
    assert headers["x-multi"] == "one"
    assert headers.get("X-MULTI") == "one"
    assert headers.get("7") == "8"
    assert headers.get("x-gone") is None and headers.get("x-gone", "d") == "d"
    assert headers.get("x-empty", "d") == "d" and headers.get("x-odd") is None
    assert list(headers) == ["Content-Type", "X-Multi", "7"]
    assert len(headers) == 3
    assert "Content-type" in headers and "x-multi" in headers and "x-gone" not in headers and "x-odd" not in headers
    assert dict(headers) == {"Content-Type": "text/plain", "X-Multi": "one", "7": "8"}
    assert repr(headers) == "Headers({'Content-Type': 'text/plain', 'X-Multi': 'one', '7': '8'})"
    with pytest.raises(KeyError):
        headers["x-absent"]


def test_headers_get_all():
    headers = Headers({"Accept": "a", "Solo": "s"}, {"accept": ["a1", "a2"], "X-Tuple": ("t1", 2), "X-Empty": []})
    found = headers.get_all("ACCEPT")
    assert found == ["a1", "a2"]
    found.append("mine")
    assert headers.get_all("accept") == ["a1", "a2"]  # a copy each time
    assert headers.get_all("x-tuple") == ["t1", "2"]
    assert headers.get_all("solo") == ["s"]
    assert headers.get_all("x-empty") == []
    assert headers.get_all("absent") == []
    assert Headers("not a mapping", None).get_all("a") == [] and len(Headers(None, ["x"])) == 0


def test_headers_are_indexed_once():
    single = {"A": "1"}
    headers = Headers(single)
    assert headers["a"] == "1"
    single["B"] = "2"  # the event is read-only in practice: later changes are not seen
    assert "b" not in headers and len(headers) == 1


def test_principal_id_in_each_authorizer_shape():
    assert principal_id(load("rest_v1")) == "user|7f3e"
    assert principal_id(load("http_api_v2")) == "c0ffee00-1234-4abc-9def-001122334455"
    context = load("http_api_v2")["requestContext"]
    context["authorizer"] = {"lambda": {"principalId": "p-lambda", "tenant": "t1"}}
    assert principal_id({"requestContext": context}) == "p-lambda"
    context["authorizer"] = {"iam": {"userArn": "arn:aws:iam::111122223333:user/ada", "accessKey": "AKIA"}}
    assert principal_id({"requestContext": context}) == "arn:aws:iam::111122223333:user/ada"
    assert principal_id(load("function_url")) is None
    assert principal_id({}) is None
    assert principal_id({"requestContext": {"authorizer": "odd"}}) is None


def test_principal_id_takes_the_first_shape_present():
    every = {"principalId": "rest", "lambda": {"principalId": "lambda"}, "jwt": {"claims": {"sub": "jwt"}},
             "iam": {"userArn": "iam"}}
    assert principal_id({"requestContext": {"authorizer": every}}) == "rest"
    every["principalId"] = None
    assert principal_id({"requestContext": {"authorizer": every}}) == "lambda"
    every["lambda"] = {"principalId": None}
    assert principal_id({"requestContext": {"authorizer": every}}) == "jwt"
    every["jwt"] = {"claims": None}
    assert principal_id({"requestContext": {"authorizer": every}}) == "iam"


def test_cookie_pairs():
    texts = ['a=1; b="two" ; c', "=x;  d= 4 ", 'a=again; e=5=6; f="XoX"; g =7', " =8"]
    assert http._cookie_pairs(texts) == {"a": "1", "b": "two", "d": "4", "e": "5=6", "f": "XoX", "g": "7"}
    assert http._cookie_pairs([]) == {}


def test_request_fields_of_a_rest_event():
    request = Request(load("rest_v1"), "ctx")
    assert (request.method, request.path, request.stage, request.context) == ("GET", "/accounts/42", "dev", "ctx")
    assert request.request_id == "5b0f6c1e-8d1a-4c2b-9e3f-2a4b6c8d0e1f"
    assert request.source_ip == "198.51.100.23"
    assert request.cookies == {"session": "abc123", "theme": "dark"}
    assert request.query == {"tag": "red", "limit": "10"}
    assert request.multi_query == {"tag": ["red", "blue"], "limit": ["10"]}
    assert request.path_parameters == {"id": "42"}
    assert request.principal_id == "user|7f3e"
    assert request.authorizer == {"role": "admin"}
    assert (request.claims, request.scopes, request.multi_value) == ({}, [], False)
    assert request.content_type == ""
    assert request.body == "just some text" and request.raw_body == b"just some text"
    assert repr(request) == "<Request rest GET /accounts/42>"


def test_request_fields_of_an_http_api_event():
    request = Request(load("http_api_v2"))
    assert (request.method, request.path, request.stage) == ("POST", "/dev/accounts/42", "dev")
    assert (request.request_id, request.source_ip) == ("Ab1Cd2Ef3Gh=", "203.0.113.77")
    assert request.cookies == {"session": "abc123", "theme": "dark"}
    assert request.multi_query == {"tag": ["red", "blue"], "note": ["a,b"], "limit": ["10"]}
    assert request.query == {"tag": "red", "note": "a,b", "limit": "10"}
    assert request.headers["X-Custom"] == "one,two" and request.headers.get_all("x-custom") == ["one,two"]
    assert request.claims == {"sub": "c0ffee00-1234-4abc-9def-001122334455", "iss": "https://issuer.example.com",
                              "aud": "my-app"}
    assert (request.scopes, request.authorizer) == (["accounts:write"], {})
    assert request.content_type == "application/json"
    assert request.body == {"name": "Ada", "age": 36}
    assert repr(request) == "<Request http-api POST /dev/accounts/42>"


def test_request_fields_of_a_function_url_event():
    request = Request(load("function_url"))
    assert (request.method, request.path, request.stage, request.source_ip) == (
        "POST", "/upload", "$default", "192.0.2.44")
    assert (request.query, request.multi_query, request.cookies, request.path_parameters) == ({}, {}, {}, {})
    assert request.raw_body == b"\x00\xff\x80\xff" and request.body == b"\x00\xff\x80\xff"


@pytest.mark.parametrize("name, multi", [("alb_single", False), ("alb_multi", True)])
def test_request_fields_of_alb_events(name, multi):
    request = Request(load(name))
    assert (request.method, request.path, request.multi_value, request.stage) == ("GET", "/accounts", multi, None)
    assert request.source_ip == "198.51.100.99"  # no identity: the client the load balancer saw
    assert request.cookies == {"session": "abc123", "theme": "dark"}
    assert request.query == {"q": "hello world", "tag": "red" if multi else "blue"}
    assert request.multi_query == {"q": ["hello world"], "tag": ["red", "blue"] if multi else ["blue"]}
    assert (request.body, request.raw_body, request.request_id) == (None, b"", None)


def test_alb_query_names_are_decoded_and_multi_values_kept():
    event = load("alb_multi", multiValueQueryStringParameters={"a%20b": ["1+2", "x%2Cy"], "odd": "nolist"},
                 queryStringParameters={"a%20b": "ignored", "c+d": "%26"})
    assert Request(event).multi_query == {"a b": ["1 2", "x,y"], "c d": ["&"]}


def test_alb_source_ip_is_the_last_forwarded_address():
    event = load("alb_multi")
    event["multiValueHeaders"]["x-forwarded-for"] = ["10.0.0.1", "203.0.113.5, 198.51.100.7 "]
    assert Request(event).source_ip == "198.51.100.7"
    del event["multiValueHeaders"]["x-forwarded-for"]
    assert Request(event).source_ip is None
    rest = load("rest_v1")
    rest["requestContext"]["identity"]["sourceIp"] = ""
    assert Request(rest).source_ip is None  # REST never falls back on X-Forwarded-For


def test_method_and_path_fallbacks():
    assert Request({"httpMethod": "patch"}).method == "PATCH"
    assert Request({"requestContext": {"http": {"method": "delete", "path": "/p"}}, "version": "2.0"}).method == \
        "DELETE"
    assert Request({"httpMethod": ""}).method is None
    assert Request({}).method is None and Request({}).path == "/"
    no_raw = load("http_api_v2")
    del no_raw["rawPath"]
    assert Request(no_raw).path == "/dev/accounts/42"
    rest = load("rest_v1")
    rest["rawPath"] = "/raw"  # REST reads path, never rawPath
    assert Request(rest).path == "/accounts/42"
    http_api = load("http_api_v2", path="/not-this")
    assert Request(http_api).path == "/dev/accounts/42"


def test_http_api_query_without_a_raw_string_splits_commas():
    event = load("http_api_v2", rawQueryString=None)
    assert Request(event).multi_query == {"tag": ["red", "blue"], "note": ["a", "b"], "limit": ["10"]}
    blank = load("http_api_v2", rawQueryString="empty=&flag&a=1&a=2")
    assert Request(blank).multi_query == {"empty": [""], "flag": [""], "a": ["1", "2"]}
    assert Request(blank).query == {"empty": "", "flag": "", "a": "1"}


@pytest.mark.parametrize("multi, single, query, multi_query", [
    ({"a": ["1", "2"], "b": []}, {"a": "2", "b": "x", "c": "3"}, {"a": "1", "c": "3"},
     {"a": ["1", "2"], "b": [], "c": ["3"]}),
    (None, {"c": "3"}, {"c": "3"}, {"c": ["3"]}),
    ({"a": ["1"]}, None, {"a": "1"}, {"a": ["1"]}),
    ({"a": "not a list"}, {"a": "s"}, {"a": "s"}, {"a": ["s"]}),
    (None, None, {}, {}),
    ({}, {}, {}, {}),
])
def test_rest_query_first_values_match_multi_query(multi, single, query, multi_query):
    event = load("rest_v1", multiValueQueryStringParameters=multi, queryStringParameters=single)
    assert Request(event).query == query
    assert Request(event).multi_query == multi_query
    both = Request(event)
    assert both.multi_query == multi_query and both.query == query


def test_fields_are_read_once():
    event = load("rest_v1")
    request = Request(event)
    assert (request.query, request.cookies, request.raw_body) == (
        {"tag": "red", "limit": "10"}, {"session": "abc123", "theme": "dark"}, b"just some text")
    multi = request.multi_query
    headers = request.headers
    event.update(queryStringParameters={}, multiValueQueryStringParameters={}, headers={}, multiValueHeaders={},
                 body="changed")
    assert request.query == {"tag": "red", "limit": "10"} and request.multi_query is multi
    assert request.headers is headers and request.cookies == {"session": "abc123", "theme": "dark"}
    assert (request.raw_body, request.body) == (b"just some text", "changed")


def test_path_parameters_are_a_copy():
    event = load("rest_v1")
    parameters = Request(event).path_parameters
    parameters["id"] = "changed"
    assert event["pathParameters"] == {"id": "42"}
    assert Request(load("rest_v1", pathParameters=None)).path_parameters == {}


def test_request_id_falls_back_on_the_lambda_context():
    context = types.SimpleNamespace(aws_request_id="lambda-req-1")
    assert Request(load("alb_single"), context).request_id == "lambda-req-1"
    assert Request(load("rest_v1"), context).request_id == "5b0f6c1e-8d1a-4c2b-9e3f-2a4b6c8d0e1f"


def test_content_type_drops_parameters_and_case():
    event = load("http_api_v2")
    event["headers"]["content-type"] = " Application/Problem+JSON ; charset=UTF-8"
    assert Request(event).content_type == "application/problem+json"
    assert Request(event).body == {"name": "Ada", "age": 36}


def _with_body(name, body, content_type=None, encoded=False):
    event = load(name, body=body, isBase64Encoded=encoded)
    event["headers"] = {k: v for k, v in event["headers"].items() if k.lower() != "content-type"}
    event.pop("multiValueHeaders", None)
    if content_type:
        event["headers"]["Content-Type"] = content_type
    return Request(event)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@pytest.mark.parametrize("name", ["rest_v1", "http_api_v2"])
@pytest.mark.parametrize("content_type, body, encoded, expected", [
    ("application/json", '{"a": [1, 2]}', False, {"a": [1, 2]}),
    ("application/vnd.api+json", _b64(b'{"a": null}'), True, {"a": None}),
    ("text/plain; charset=utf-8", _b64("caf\u00e9".encode()), True, "caf\u00e9"),
    ("application/xml", _b64(b"<a/>"), True, "<a/>"),
    ("application/javascript", _b64(b"x()"), True, "x()"),
    ("application/x-www-form-urlencoded", _b64(b"a=1&b=2"), True, "a=1&b=2"),
    ("application/yaml", _b64(b"a: 1"), True, "a: 1"),
    ("text/csv", _b64(b"a,b"), True, "a,b"),
    ("application/graphql", _b64(b"{ me }"), True, "{ me }"),
    ("image/png", _b64(b"\x89PNG"), True, b"\x89PNG"),
    ("application/octet-stream", _b64(b"plain"), True, b"plain"),
    ("application/octet-stream", "not encoded", False, "not encoded"),
    ("text/plain", _b64(b"\xff\xfe"), True, b"\xff\xfe"),
    (None, '{"a": 1}', False, {"a": 1}),
    (None, "[1, 2", False, "[1, 2"),
    (None, _b64(b'"json text"'), True, "json text"),
    (None, _b64(b"\xff\x00"), True, b"\xff\x00"),
    (None, "", False, None),
    ("text/plain", '{"a": 1}', False, '{"a": 1}'),
    ("application/jsonx", '{"a": 1}', False, '{"a": 1}'),
])
def test_body_by_content_type(name, content_type, body, encoded, expected):
    request = _with_body(name, body, content_type, encoded)
    assert request.body == expected
    assert type(request.body) is type(expected)


def test_body_is_none_when_absent_and_passes_decoded_test_bodies():
    assert _with_body("rest_v1", None).body is None and _with_body("rest_v1", None).raw_body == b""
    request = _with_body("rest_v1", {"already": "decoded"}, "application/json")
    assert request.body == {"already": "decoded"}
    assert request.raw_body == b'{"already": "decoded"}'


def test_bytes_bodies_are_raw():
    assert _with_body("rest_v1", b"\x01\x02", "application/octet-stream").body == b"\x01\x02"
    assert _with_body("rest_v1", b"text", "text/plain").body == "text"
    assert _with_body("rest_v1", b'{"a": 1}').body == {"a": 1}
    assert _with_body("rest_v1", b"\x01\x02").raw_body == b"\x01\x02"


@pytest.mark.parametrize("content_type, body, encoded, message", [
    ("application/json", "{not json", False, "Request body is not valid JSON"),
    ("application/json", "[" * 100_000 + "]" * 100_000, False, "Request body is JSON nested too deeply"),
    ("application/json", "not base64!", True, "Request body is not valid base64"),
    ("application/json", "e30=*", True, "Request body is not valid base64"),
    ("text/plain", "YQ=", True, "Request body is not valid base64"),
])
def test_unreadable_bodies_are_bad_requests(content_type, body, encoded, message):
    request = _with_body("http_api_v2", body, content_type, encoded)
    with pytest.raises(BadRequest) as caught:
        _ = request.body
    assert str(caught.value) == message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_deeply_nested_json_without_a_content_type_is_text():
    body = "[" * 100_000 + "]" * 100_000
    assert _with_body("rest_v1", body).body == body


def test_lone_surrogates_survive():
    body = json.loads('"\\udcff"')
    request = _with_body("rest_v1", body, "text/plain")
    assert request.raw_body == b"\xed\xb3\xbf"
    assert request.body == body
