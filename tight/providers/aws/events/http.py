"""HTTP requests as Lambda receives them: API Gateway REST (payload 1.0), HTTP API (2.0),
Function URLs and Application Load Balancers, read through one :class:`Request`.

The source is recognised from the event itself (:func:`event_format`); every field
is read on first use, so a handler that never touches the body never decodes it.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping

TYPE_CHECKING = False  # typing is not imported at cold start
if TYPE_CHECKING:
    from typing import Any

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
    if type(value) is dict:  # the usual case, without the ABC check
        return value
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

    ``headers[name]`` is the value the event's ``headers`` map carries (for a header
    sent twice, REST gives the last, HTTP APIs the values comma-joined); ALB in
    multi-value mode, which has no such map, gives the first. :meth:`get_all` gives
    every value. Indexed on first use.
    """

    __slots__ = ("_index", "_multi", "_multi_index", "_single")

    def __init__(self, single: Any = None, multi: Any = None):
        self._single = _mapping(single)
        self._multi = _mapping(multi)
        self._index: dict[str, tuple[str, str]] | None = None
        self._multi_index: dict[str, list[str]] | None = None

    def _values(self) -> dict[str, tuple[str, str]]:
        index = self._index
        if index is None:
            index = {}
            for name, values in self._multi.items():
                if isinstance(values, (list, tuple)) and values:
                    index[str(name).lower()] = (str(name), str(values[0]))
            for name, value in self._single.items():
                if value is not None:
                    index[str(name).lower()] = (str(name), str(value))
            self._index = index
        return index

    def __getitem__(self, name: str) -> str:
        return self._values()[str(name).lower()][1]

    def get(self, name: str, default: Any = None) -> Any:
        found = self._values().get(str(name).lower())
        return default if found is None else found[1]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._values().values())

    def __len__(self) -> int:
        return len(self._values())

    def __contains__(self, name: object) -> bool:
        return str(name).lower() in self._values()

    def get_all(self, name: str) -> list[str]:
        """Every value of header ``name`` (empty list when absent)."""
        if self._multi_index is None:
            self._multi_index = {str(k).lower(): [str(v) for v in values] for k, values in self._multi.items()
                                 if isinstance(values, (list, tuple))}
        found = self._multi_index.get(str(name).lower())
        if found:
            return list(found)
        single = self.get(name)
        return [] if single is None else [single]

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


def principal_id(event: Mapping[str, Any]) -> str | None:
    """Who the API let in, the same on both API types: a Lambda authorizer's ``principalId``, the JWT's
    ``sub`` (HTTP API JWT or REST Cognito authorizer), or the IAM caller's ARN; None without auth."""
    context = _mapping(event.get("requestContext"))
    authorizer = _mapping(context.get("authorizer"))
    value = authorizer.get("principalId")
    if value is None:
        value = _mapping(authorizer.get("lambda")).get("principalId")
    if value is None:
        value = _mapping(_mapping(authorizer.get("jwt")).get("claims") or authorizer.get("claims")).get("sub")
    if value is None:
        value = _mapping(authorizer.get("iam")).get("userArn") or _mapping(context.get("identity")).get("userArn")
    return value


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


#: Content types that are text even when API Gateway base64-encodes them (a REST API with BinaryMediaTypes
#: ``*/*``, as tight deploys it, encodes every body).
TEXT_MARKERS = ("text/", "xml", "javascript", "x-www-form-urlencoded", "yaml", "csv", "graphql")


def _is_text(content_type: str) -> bool:
    return any(marker in content_type for marker in TEXT_MARKERS)


def _cookie_pairs(texts: list[str]) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for text in texts:
        for part in text.split(";"):
            name, sep, value = part.partition("=")
            name = name.strip()  # RFC 6265 5.2: whitespace around the name is not part of it
            if sep and name and name not in cookies:
                cookies[name] = value.strip().strip('"')
    return cookies


class Request:
    """One HTTP request, whatever the source; what handlers get as ``request``.

    Attributes: ``method``, ``path``, ``headers`` (:class:`Headers`), ``cookies``,
    ``query`` (first value of each parameter), ``multi_query`` (every value),
    ``path_parameters``, ``body`` (decoded on first read), ``raw_body`` (bytes),
    ``source_ip``, ``principal_id``, ``claims``, ``scopes``, ``authorizer`` (see
    :mod:`tight.providers.aws.events.identity`), ``stage``, ``request_id``, ``source`` (see
    :func:`event_format`), ``multi_value`` (ALB in multi-value headers mode),
    ``event`` and ``context``.
    """

    def __init__(self, event: Mapping[str, Any], context: Any = None):
        self.event = event
        self.context = context
        self.source = event_format(event)
        self._headers: Headers | None = None
        self._cookies: dict[str, str] | None = None
        self._multi_query: dict[str, list[str]] | None = None
        self._query: dict[str, str] | None = None
        self._raw_body: bytes | None = None
        self._body: Any = _NOTHING

    def _context(self) -> Mapping:
        return _mapping(self.event.get("requestContext"))


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
        if self._headers is None:
            self._headers = Headers(self.event.get("headers"), self.event.get("multiValueHeaders"))
        return self._headers

    @property
    def cookies(self) -> dict[str, str]:
        def compute():
            listed = self.event.get("cookies")
            if isinstance(listed, list):
                return _cookie_pairs([str(c) for c in listed])
            return _cookie_pairs(self.headers.get_all("cookie"))
        if self._cookies is None:
            self._cookies = compute()
        return self._cookies

    @property
    def multi_query(self) -> dict[str, list[str]]:
        if self._multi_query is None:
            self._multi_query = self._read_multi_query()
        return self._multi_query

    def _read_multi_query(self) -> dict[str, list[str]]:
        event = self.event
        result: dict[str, list[str]] = {}
        if self.source in (HTTP_API, FUNCTION_URL) and isinstance(event.get("rawQueryString"), str):
            from urllib.parse import parse_qsl

            for name, value in parse_qsl(event["rawQueryString"], keep_blank_values=True):
                result.setdefault(name, []).append(value)
            return result
        if self.source in (HTTP_API, FUNCTION_URL):  # no raw string: values are comma-joined
            return {str(k): str(v).split(",") for k, v in _mapping(event.get("queryStringParameters")).items()}
        multi = _mapping(event.get("multiValueQueryStringParameters"))
        single = _mapping(event.get("queryStringParameters"))
        if self.source == ALB:  # the load balancer passes the query undecoded
            from urllib.parse import unquote_plus as decode

            for name, values in multi.items():
                if isinstance(values, (list, tuple)):
                    result[decode(str(name))] = [decode(str(v)) for v in values]
            for name, value in single.items():
                result.setdefault(decode(str(name)), [decode(str(value))])
            return result
        for name, values in multi.items():
            if isinstance(values, list):
                result[name] = list(values)
        for name, value in single.items():
            if name not in result:
                result[name] = [value]
        return result

    @property
    def query(self) -> dict[str, str]:
        if self._query is None:
            if self._multi_query is None and self.source == REST:  # per request: skip the lists
                self._query = self._rest_query()
            else:
                self._query = {k: v[0] for k, v in self.multi_query.items() if v}
        return self._query

    def _rest_query(self) -> dict[str, str]:
        """REST's first value of each parameter (as :attr:`multi_query` would give it), read directly."""
        event = self.event
        multi = event.get("multiValueQueryStringParameters")
        single = event.get("queryStringParameters")
        if not multi and not single:
            return {}
        query = {name: values[0] for name, values in _mapping(multi).items() if isinstance(values, list) and values}
        for name, value in _mapping(single).items():
            if name not in query and not isinstance(_mapping(multi).get(name), list):
                query[name] = value
        return query

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
    def claims(self) -> dict[str, Any]:
        """The JWT claims API Gateway checked (JWT or Cognito authorizer); ``{}`` when none."""
        from tight.providers.aws.events.identity import claims

        return claims(self.event)

    @property
    def scopes(self) -> list[str]:
        """The scopes of the caller's token (``[]`` when none)."""
        from tight.providers.aws.events.identity import scopes

        return scopes(self.event)

    @property
    def authorizer(self) -> dict[str, Any]:
        """The Lambda authorizer's context, or the IAM caller's identity; ``{}`` when neither."""
        from tight.providers.aws.events.identity import authorizer_context

        return authorizer_context(self.event)

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
        if self._raw_body is None:
            self._raw_body = self._read_raw_body()
        return self._raw_body

    def _read_raw_body(self) -> bytes:
        body = self.event.get("body")
        if body is None:
            return b""
        if isinstance(body, bytes):
            return body
        if not isinstance(body, str):  # a hand-written test event with a decoded body
            return json.dumps(body).encode("utf-8")
        if self.event.get("isBase64Encoded"):
            import base64

            try:
                return base64.b64decode(body, validate=True)
            except ValueError:
                raise BadRequest("Request body is not valid base64") from None
        try:
            return body.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates (a JSON "\udcff" escape): keep them, never crash
            return body.encode("utf-8", "surrogatepass")

    @property
    def body(self) -> Any:
        """The body, decoded on first read.

        JSON content types (``application/json``, ``*+json``) are parsed (invalid JSON:
        :class:`BadRequest`); other declared types are text (bytes when base64-encoded and not a
        text type: ``text/*``, XML, JavaScript, form-urlencoded, YAML, CSV, GraphQL); without a
        Content-Type, JSON if it parses, else text, else bytes.
        """
        if self._body is _NOTHING:
            self._body = self._read_body()
        return self._body

    def _read_body(self) -> Any:
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
            except RecursionError:  # valid JSON, nested deeper than Python decodes: the client's doing
                raise BadRequest("Request body is JSON nested too deeply") from None
        encoded = bool(self.event.get("isBase64Encoded")) or isinstance(body, bytes)
        if content_type and encoded and not _is_text(content_type):
            return raw
        try:
            text = raw.decode("utf-8") if encoded else body
        except UnicodeDecodeError:
            return raw
        if not content_type:
            try:
                return json.loads(text)
            except (ValueError, RecursionError):
                pass
        return text

    def __repr__(self) -> str:
        return f"<Request {self.source} {self.method} {self.path}>"
