"""API Gateway on the laptop, without sockets: HTTP request parts -> proxy event, proxy response -> HTTP.

:func:`build_event` shapes a :class:`Request` the way API Gateway hands it to a
Lambda function: the REST API's payload ``1.0`` (what ``deploy`` creates) or the
HTTP API's ``2.0``. :func:`http_response` turns the function's answer back into
status, headers and body bytes, and answers 502 with a reason where API Gateway
would answer 502 (malformed proxy response, crashed function).

Stdlib only; the HTTP server around it lives in ``tight_tasks.local``.
"""
from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from .routes import Match

PAYLOADS = ("1.0", "2.0")
ACCOUNT_ID = "123456789012"
API_ID = "local"
#: Body content types sent as text; any other body (or one that is not UTF-8) arrives base64-encoded.
TEXT_TYPES = ("text/", "json", "xml", "javascript", "x-www-form-urlencoded", "yaml", "csv", "graphql")
REST_RESPONSE_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})
HTTP_RESPONSE_KEYS = frozenset({"statusCode", "headers", "cookies", "body", "isBase64Encoded"})
BAD_GATEWAY = b'{"message": "Internal server error"}'
#: API Gateway's largest request payload, and Lambda's largest synchronous event and response.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
MAX_LAMBDA_BYTES = 6 * 1024 * 1024


class Request(NamedTuple):
    method: str
    #: Decoded path, e.g. ``/accounts/a b``.
    path: str
    #: The query string as sent (``a=1&a=2``), without ``?``.
    query: str = ""
    #: Header (name, value) pairs in the order received; repeated names allowed.
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"
    #: The path as sent (percent-encoded); defaults to ``path``.
    raw_path: str | None = None


class HttpResponse(NamedTuple):
    status: int
    #: (name, value) pairs; Set-Cookie may repeat.
    headers: list[tuple[str, str]]
    body: bytes
    #: Why this is an error answer (a 502, a path no route matches), for the console; else None.
    error: str | None = None
    #: Harmless oddities worth a console line (e.g. multiValueHeaders under payload 2.0).
    notes: tuple[str, ...] = ()


# -- events --------------------------------------------------------------------------

def is_text(content_type: str | None, body: bytes) -> bool:
    """True when API Gateway would pass ``body`` as text (else base64 with ``isBase64Encoded``)."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind and not any(marker in kind for marker in TEXT_TYPES):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _body(request: Request) -> tuple[str | None, bool]:
    if not request.body:
        return None, False
    content_type = next((v for k, v in request.headers if k.lower() == "content-type"), None)
    if is_text(content_type, request.body):
        return request.body.decode("utf-8"), False
    return base64.b64encode(request.body).decode("ascii"), True


def _multi(pairs) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for key, value in pairs:
        result.setdefault(key, []).append(value)
    return result


def _clock(now: float | None) -> tuple[int, str]:
    now = time.time() if now is None else now
    return int(now * 1000), time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now))


def build_event(request: Request, match: Match, payload: str = "1.0", stage: str = "local",
                request_id: str | None = None, now: float | None = None) -> dict[str, Any]:
    """The proxy event API Gateway would send for ``request`` on the matched route."""
    if payload not in PAYLOADS:
        raise ValueError(f"payload {payload!r} is not one of {', '.join(PAYLOADS)}")
    request_id = request_id or str(uuid.uuid4())
    build = _rest_event if payload == "1.0" else _http_event
    return build(request, match, stage, request_id, _clock(now))


def _user_agent(request: Request) -> str | None:
    return next((v for k, v in reversed(request.headers) if k.lower() == "user-agent"), None)


def _rest_event(request: Request, match: Match, stage: str, request_id: str, clock) -> dict[str, Any]:
    headers = _multi(request.headers)
    query = _multi(parse_qsl(request.query, keep_blank_values=True))
    body, binary = _body(request)
    epoch, text_time = clock
    return {
        "resource": match.route.path,
        "path": request.path,
        "httpMethod": request.method,
        "headers": {k: v[-1] for k, v in headers.items()} or None,
        "multiValueHeaders": headers or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": dict(match.params) or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "authorizer": None,
            "domainName": _host(request),
            "domainPrefix": _host(request).split(".")[0],
            "extendedRequestId": request_id,
            "httpMethod": request.method,
            "identity": {
                "accessKey": None, "accountId": None, "caller": None, "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None, "cognitoIdentityId": None, "cognitoIdentityPoolId": None,
                "principalOrgId": None, "sourceIp": request.source_ip, "user": None,
                "userAgent": _user_agent(request), "userArn": None, "clientCert": None,
            },
            "path": f"/{stage}{request.path}",
            "protocol": request.protocol,
            "requestId": request_id,
            "requestTime": text_time,
            "requestTimeEpoch": epoch,
            "resourceId": API_ID,
            "resourcePath": match.route.path,
            "stage": stage,
        },
        "body": body,
        "isBase64Encoded": binary,
    }


def _host(request: Request) -> str:
    return next((v for k, v in request.headers if k.lower() == "host"), "localhost").split(":")[0]


def _http_event(request: Request, match: Match, stage: str, request_id: str, clock) -> dict[str, Any]:
    cookies: list[str] = []
    headers: dict[str, str] = {}
    for key, value in request.headers:
        key = key.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    query = {k: ",".join(v) for k, v in _multi(parse_qsl(request.query, keep_blank_values=True)).items()}
    body, binary = _body(request)
    epoch, text_time = clock
    route_key = f"ANY {match.route.path}"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.raw_path or request.path,
        "rawQueryString": request.query,
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": _host(request),
            "domainPrefix": _host(request).split(".")[0],
            "http": {"method": request.method, "path": request.path, "protocol": request.protocol,
                     "sourceIp": request.source_ip, "userAgent": _user_agent(request) or ""},
            "requestId": request_id,
            "routeKey": route_key,
            "stage": stage,
            "time": text_time,
            "timeEpoch": epoch,
        },
        "isBase64Encoded": binary,
    }
    # HTTP API leaves out what the request did not have.
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if match.params:
        event["pathParameters"] = dict(match.params)
    if body is not None:
        event["body"] = body
    return event


# -- responses -----------------------------------------------------------------------

class MalformedResponse(ValueError):
    """A proxy response API Gateway would refuse (it answers 502)."""


def bad_gateway(reason: str) -> HttpResponse:
    return HttpResponse(502, [("Content-Type", "application/json")], BAD_GATEWAY, reason)


def too_large(size: int) -> HttpResponse:
    reason = f"the request is {size:,} bytes: API Gateway accepts {MAX_REQUEST_BYTES:,} at most"
    return HttpResponse(413, [("Content-Type", "application/json")], b'{"message": "Request Too Long"}', reason)


def over_lambda_limit(what: str, value: Any) -> str | None:
    """Why ``value`` (an event or a response) is too big for Lambda, or None.

    Cheap for small values: only a large string body gets serialized to be measured.
    """
    body = value.get("body") if isinstance(value, Mapping) else None
    if not isinstance(body, str) or len(body) < MAX_LAMBDA_BYTES // 2:
        return None
    size = len(json.dumps(value, default=str).encode("utf-8"))
    if size <= MAX_LAMBDA_BYTES:
        return None
    return f"the {what} is {size:,} bytes of JSON: Lambda allows {MAX_LAMBDA_BYTES:,}"


def no_route(payload: str, hint: str | None = None) -> HttpResponse:
    """What API Gateway answers a path no route matches: a REST API (1.0) 403 Missing Authentication
    Token, an HTTP API (2.0) 404 Not Found. ``hint`` (for the console) goes in ``error``."""
    if payload == "1.0":
        return HttpResponse(403, [("Content-Type", "application/json"),
                                  ("x-amzn-ErrorType", "MissingAuthenticationTokenException")],
                             b'{"message":"Missing Authentication Token"}', hint)
    return HttpResponse(404, [("Content-Type", "application/json")], b'{"message":"Not Found"}', hint)


def _scalar(where: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise MalformedResponse(f"{where} must be a string, got {type(value).__name__}")


def _status(response: Mapping[str, Any]) -> int:
    status = response.get("statusCode")
    try:
        code = int(status)
    except (TypeError, ValueError):
        raise MalformedResponse(f"statusCode must be a number, got {status!r}") from None
    if isinstance(status, bool) or not 100 <= code <= 599 or (isinstance(status, float) and status != code):
        raise MalformedResponse(f"statusCode {status!r} is not an HTTP status (100-599)")
    return code


def _mapping(response: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = response.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise MalformedResponse(f"{key} must be an object, got {type(value).__name__}")
    return dict(value)


def _body_bytes(response: Mapping[str, Any]) -> bytes:
    body = response.get("body")
    encoded = response.get("isBase64Encoded", False)
    if not isinstance(encoded, bool):
        raise MalformedResponse(f"isBase64Encoded must be true or false, got {encoded!r}")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedResponse(f"body must be a string, got {type(body).__name__} (serialize it first)")
    if not encoded:
        return body.encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except ValueError:
        raise MalformedResponse("body is not valid base64 although isBase64Encoded is true") from None


def _rest_response(response: Any) -> tuple[int, list[tuple[str, str]], bytes, tuple[str, ...]]:
    if not isinstance(response, Mapping):
        raise MalformedResponse(f"the function returned {type(response).__name__}, not a proxy response object")
    extra = sorted(str(k) for k in response if k not in REST_RESPONSE_KEYS)
    if extra:
        raise MalformedResponse(f"unexpected key{'s' if len(extra) > 1 else ''} {', '.join(extra)} "
                                f"(payload 1.0 allows {', '.join(sorted(REST_RESPONSE_KEYS))})")
    status = _status(response)
    multi = _mapping(response, "multiValueHeaders")
    headers: list[tuple[str, str]] = []
    for key, values in multi.items():
        if not isinstance(values, list):
            raise MalformedResponse(f"multiValueHeaders.{key} must be a list, got {type(values).__name__}")
        headers.extend((str(key), _scalar(f"multiValueHeaders.{key}", v)) for v in values)
    for key, value in _mapping(response, "headers").items():
        if key not in multi:  # multiValueHeaders wins, as on API Gateway
            headers.append((str(key), _scalar(f"headers.{key}", value)))
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", "application/json"))  # API Gateway's default for REST proxies
    return status, headers, _body_bytes(response), ()


def _http_response(response: Any) -> tuple[int, list[tuple[str, str]], bytes, tuple[str, ...]]:
    if isinstance(response, Mapping) and "statusCode" in response:
        notes = tuple(f"payload 2.0 ignores the response's {k}" for k in sorted(map(str, response))
                      if k not in HTTP_RESPONSE_KEYS)
        status = _status(response)
        headers = [(str(k), _scalar(f"headers.{k}", v)) for k, v in _mapping(response, "headers").items()]
        cookies = response.get("cookies") or []
        if not isinstance(cookies, list):
            raise MalformedResponse(f"cookies must be a list of strings, got {type(cookies).__name__}")
        headers.extend(("Set-Cookie", _scalar("cookies[]", c)) for c in cookies)
        return status, headers, _body_bytes(response), notes
    # No statusCode: HTTP API sends the whole answer as a JSON 200.
    try:
        body = json.dumps(response).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise MalformedResponse(f"the function's answer is not JSON: {exc}") from None
    return 200, [("Content-Type", "application/json")], body, ()


def http_response(response: Any, payload: str = "1.0") -> HttpResponse:
    """The HTTP answer for a function's proxy ``response``; a malformed one is a 502 with the reason."""
    shape = _rest_response if payload == "1.0" else _http_response
    try:
        status, headers, body, notes = shape(response)
        headers, dropped = _safe_headers(headers)
    except MalformedResponse as exc:
        return bad_gateway(f"Malformed Lambda proxy response: {exc}")
    notes += tuple(f"the response's {name} header is left out: the server frames the body itself" for name in dropped)
    return HttpResponse(status, headers, body, None, notes)


#: Framing headers the server sets itself; a function's own would desynchronise the connection.
FRAMING = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive", "upgrade"})
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _safe_headers(headers: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[str]]:
    """``headers`` without framing ones; a name or value that would split the response is malformed."""
    kept, dropped = [], []
    for name, value in headers:
        if not _TOKEN.fullmatch(name):
            raise MalformedResponse(f"header name {name!r} is not an HTTP token")
        if any(c in value for c in "\r\n\0"):
            raise MalformedResponse(f"header {name} holds a line break or NUL: {value!r}")
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise MalformedResponse(f"header {name} holds characters HTTP headers cannot carry: {value!r} "
                                    "(percent-encode them)") from None
        if name.lower() in FRAMING:
            dropped.append(name)
        else:
            kept.append((name, value))
    return kept, dropped


# -- invoking ------------------------------------------------------------------------

class LambdaContext:
    """The parts of Lambda's context object handlers use."""

    def __init__(self, function: str, memory: int = 256, timeout: int = 30, request_id: str | None = None,
                 region: str = "us-east-1"):
        self.function_name = function
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{function}"
        self.memory_limit_in_mb = str(memory)
        self.aws_request_id = request_id or str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]local")
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
