"""HTTP requests as Lambda receives them: API Gateway REST (payload 1.0), HTTP API (2.0),
Function URLs and Application Load Balancers, read through one :class:`Request`.

The source is recognised from the event itself (:func:`event_format`); every field
is read on first use, so a handler that never touches the body never decodes it.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

__all__ = [
    "ALB",
    "FUNCTION_URL",
    "HTTP_API",
    "REST",
    "BadRequest",
    "Headers",
    "Request",
    "event_format",
    "principal_id",
]

REST = "rest"                  # API Gateway REST API, payload 1.0 (also HTTP APIs set to 1.0)
HTTP_API = "http-api"          # API Gateway HTTP API, payload 2.0
FUNCTION_URL = "function-url"  # Lambda Function URL (payload 2.0 shape)
ALB = "alb"                    # Application Load Balancer target group

_NOTHING = object()


class BadRequest(Exception):
    """The request cannot be read as asked; the message goes to the client (400)."""


def _mapping(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def event_format(event: Mapping[str, Any]) -> str:
    """``rest``, ``http-api``, ``function-url`` or ``alb``; a bare hand-made event counts as ``rest``."""
    context = _mapping(event.get("requestContext"))
    if "elb" in context:
        return ALB
    if event.get("version") == "2.0" or "http" in context:
        if ".lambda-url." in str(context.get("domainName") or ""):
            return FUNCTION_URL
        return HTTP_API
    return REST


class Headers(Mapping):
    """Request headers, case-insensitive: ``headers.get('content-type')`` whatever the case on the wire.

    ``headers[name]`` is the first value; :meth:`get_all` gives every value.
    """

    __slots__ = ("_values",)

    def __init__(self, single: Any = None, multi: Any = None):
        values: dict[str, tuple[str, list[str]]] = {}
        for name, items in _mapping(multi).items():
            if isinstance(items, (list, tuple)) and items:
                values[str(name).lower()] = (str(name), [str(v) for v in items])
        for name, value in _mapping(single).items():
            if value is not None and str(name).lower() not in values:
                values[str(name).lower()] = (str(name), [str(value)])
        self._values = values

    def __getitem__(self, name: str) -> str:
        return self._values[str(name).lower()][1][0]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._values.values())

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, name: object) -> bool:
        return str(name).lower() in self._values

    def get_all(self, name: str) -> list[str]:
        """Every value of header ``name`` (empty list when absent)."""
        found = self._values.get(str(name).lower())
        return list(found[1]) if found else []

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


def principal_id(event: Mapping[str, Any]) -> str | None:
    """The authorizer principal: REST ``principalId``, HTTP API lambda/JWT ``sub``, or IAM user ARN."""
    authorizer = _mapping(_mapping(event.get("requestContext")).get("authorizer"))
    value = authorizer.get("principalId")
    if value is None:
        value = _mapping(authorizer.get("lambda")).get("principalId")
    if value is None:
        value = _mapping(_mapping(authorizer.get("jwt")).get("claims")).get("sub")
    if value is None:
        value = _mapping(authorizer.get("iam")).get("userArn")
    return value


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


def _cookie_pairs(texts: list[str]) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for text in texts:
        for part in text.split(";"):
            name, sep, value = part.strip().partition("=")
            if sep and name and name not in cookies:
                cookies[name] = value.strip().strip('"')
    return cookies


class Request:
    """One HTTP request, whatever the source; what handlers get as ``request``.

    Attributes: ``method``, ``path``, ``headers`` (:class:`Headers`), ``cookies``,
    ``query`` (first value of each parameter), ``multi_query`` (every value),
    ``path_parameters``, ``body`` (decoded on first read), ``raw_body`` (bytes),
    ``source_ip``, ``principal_id``, ``stage``, ``request_id``, ``source`` (see
    :func:`event_format`), ``multi_value`` (ALB in multi-value headers mode),
    ``event`` and ``context``.
    """

    def __init__(self, event: Mapping[str, Any], context: Any = None):
        self.event = event
        self.context = context
        self.source = event_format(event)
        self._cache: dict[str, Any] = {}

    def _context(self) -> Mapping:
        return _mapping(self.event.get("requestContext"))

    def _cached(self, name: str, compute) -> Any:
        value = self._cache.get(name, _NOTHING)
        if value is _NOTHING:
            value = self._cache[name] = compute()
        return value

    @property
    def multi_value(self) -> bool:
        """True for an ALB target group with multi-value headers on (the response must match)."""
        return self.source == ALB and "multiValueHeaders" in self.event

    @property
    def method(self) -> str | None:
        method = self.event.get("httpMethod")
        if not method:
            method = _mapping(self._context().get("http")).get("method")
        return str(method).upper() if method else None

    @property
    def path(self) -> str:
        event = self.event
        path = event.get("rawPath") if self.source in (HTTP_API, FUNCTION_URL) else event.get("path")
        return str(path or _mapping(self._context().get("http")).get("path") or "/")

    @property
    def headers(self) -> Headers:
        return self._cached("headers", lambda: Headers(self.event.get("headers"),
                                                       self.event.get("multiValueHeaders")))

    @property
    def cookies(self) -> dict[str, str]:
        def compute():
            listed = self.event.get("cookies")
            if isinstance(listed, list):
                return _cookie_pairs([str(c) for c in listed])
            return _cookie_pairs(self.headers.get_all("cookie"))
        return self._cached("cookies", compute)

    @property
    def multi_query(self) -> dict[str, list[str]]:
        return self._cached("multi_query", self._multi_query)

    def _multi_query(self) -> dict[str, list[str]]:
        event = self.event
        result: dict[str, list[str]] = {}
        if self.source in (HTTP_API, FUNCTION_URL) and isinstance(event.get("rawQueryString"), str):
            for name, value in parse_qsl(event["rawQueryString"], keep_blank_values=True):
                result.setdefault(name, []).append(value)
            return result
        if self.source in (HTTP_API, FUNCTION_URL):  # no raw string: values are comma-joined
            return {str(k): str(v).split(",") for k, v in _mapping(event.get("queryStringParameters")).items()}
        decode = unquote_plus if self.source == ALB else str  # the ALB passes the query undecoded
        for name, values in _mapping(event.get("multiValueQueryStringParameters")).items():
            if isinstance(values, (list, tuple)):
                result[decode(str(name))] = [decode(str(v)) for v in values]
        for name, value in _mapping(event.get("queryStringParameters")).items():
            result.setdefault(decode(str(name)), [decode(str(value))])
        return result

    @property
    def query(self) -> dict[str, str]:
        return self._cached("query", lambda: {k: v[0] for k, v in self.multi_query.items() if v})

    @property
    def path_parameters(self) -> dict[str, str]:
        return dict(_mapping(self.event.get("pathParameters")))

    @property
    def source_ip(self) -> str | None:
        context = self._context()
        ip = _mapping(context.get("identity")).get("sourceIp") or _mapping(context.get("http")).get("sourceIp")
        if not ip and self.source == ALB:  # the load balancer appends the client it saw
            forwarded = self.headers.get_all("x-forwarded-for")
            ip = forwarded[-1].split(",")[-1].strip() if forwarded else None
        return ip or None

    @property
    def principal_id(self) -> str | None:
        return principal_id(self.event)

    @property
    def stage(self) -> str | None:
        return self._context().get("stage")

    @property
    def request_id(self) -> str | None:
        return self._context().get("requestId") or getattr(self.context, "aws_request_id", None)

    @property
    def content_type(self) -> str:
        """The media type of the body, lower case, without parameters ('' when absent)."""
        return (self.headers.get("content-type") or "").split(";")[0].strip().lower()

    @property
    def raw_body(self) -> bytes:
        return self._cached("raw_body", self._raw_body)

    def _raw_body(self) -> bytes:
        body = self.event.get("body")
        if body is None:
            return b""
        if isinstance(body, bytes):
            return body
        if not isinstance(body, str):  # a hand-written test event with a decoded body
            return json.dumps(body).encode("utf-8")
        if self.event.get("isBase64Encoded"):
            try:
                return base64.b64decode(body, validate=True)
            except ValueError:
                raise BadRequest("Request body is not valid base64") from None
        return body.encode("utf-8")

    @property
    def body(self) -> Any:
        """The body, decoded on first read.

        JSON content types (``application/json``, ``*+json``) are parsed (invalid JSON:
        :class:`BadRequest`); other declared types are text (bytes when base64-encoded
        and not ``text/*``); without a Content-Type, JSON if it parses, else text, else bytes.
        """
        return self._cached("body", self._body)

    def _body(self) -> Any:
        body = self.event.get("body")
        if body is None or body == "":
            return None
        if not isinstance(body, (str, bytes)):
            return body  # hand-written test events
        content_type = self.content_type
        raw = self.raw_body
        if _is_json(content_type):
            try:
                return json.loads(raw)
            except ValueError:
                raise BadRequest("Request body is not valid JSON") from None
        encoded = bool(self.event.get("isBase64Encoded")) or isinstance(body, bytes)
        if content_type and encoded and not content_type.startswith("text/"):
            return raw
        try:
            text = raw.decode("utf-8") if encoded else body
        except UnicodeDecodeError:
            return raw
        if not content_type:
            try:
                return json.loads(text)
            except ValueError:
                pass
        return text

    def __repr__(self) -> str:
        return f"<Request {self.source} {self.method} {self.path}>"
