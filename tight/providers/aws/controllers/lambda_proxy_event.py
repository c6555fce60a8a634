"""Controllers for API Gateway Lambda proxy events (REST payload 1.0 and HTTP API 2.0).

A generated ``app/functions/<controller>/handler.py`` registers one function
per HTTP method::

    import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy

    @lambda_proxy.get
    def get_handler(*args, **kwargs):
        return {'statusCode': 200, 'body': {'hello': 'world'}}

The controller is the handler module's package (``app.functions.my_controller.handler``
-> ``my_controller``). :func:`dispatch` (what ``app_index.my_controller(event, context)``
calls) picks the handler for the event's method and turns whatever happens into a
proxy response: a dict ``body`` becomes compact JSON, the status defaults to 200, the
app-wide default headers are added, and failures become 4xx/5xx responses.

Handlers are called with keyword arguments ``event``, ``context``, ``body`` (the
JSON-decoded request body, or None), ``path_parameters``, ``query_parameters`` and
``principal_id`` (the authorizer's principal, or None); a handler that does not
take ``**kwargs`` gets only the ones it names (``def get(event, context)``).
"""
from __future__ import annotations

import base64
import datetime
import decimal
import inspect
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from tight.providers.aws.controllers import registry

__all__ = [
    "ResponseExit",
    "controller_name",
    "default_headers",
    "delete",
    "dispatch",
    "exit_with_response",
    "get",
    "handlers",
    "head",
    "options",
    "patch",
    "post",
    "put",
    "set_default_headers",
]

LOG = logging.getLogger("tight.lambda_proxy")

SOURCE = "http"  # API Gateway REST and HTTP APIs, Function URLs, ALB
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")
RESPONSE_KEYS = frozenset({"statusCode", "body", "headers", "multiValueHeaders", "isBase64Encoded", "cookies"})
INTERNAL_ERROR = {"message": "Internal server error"}

_DEFAULT_HEADERS: dict[str, str] = {"Access-Control-Allow-Origin": "*"}
_REGISTRY: dict[str, dict[str, Callable[..., Any]]] = {}
_ACCEPTS: dict[Callable[..., Any], frozenset[str] | None] = {}
_UNKNOWN = object()


class ResponseExit(Exception):
    """Raised by :func:`exit_with_response`; the dispatcher turns it into the response."""

    def __init__(self, status_code: int, body: Any = None, headers: Mapping[str, str] | None = None):
        super().__init__(status_code)
        self.response = {"statusCode": int(status_code), "body": body}
        if headers:
            self.response["headers"] = dict(headers)


def exit_with_response(status_code: int, body: Any = None, headers: Mapping[str, str] | None = None):
    """End the current handler now and answer with ``status_code`` and ``body``."""
    raise ResponseExit(status_code, body, headers)


# -- default headers ---------------------------------------------------------------

def set_default_headers(headers: Mapping[str, str]) -> None:
    """Replace the headers every response of this app starts with."""
    global _DEFAULT_HEADERS
    _DEFAULT_HEADERS = {str(k): str(v) for k, v in dict(headers).items()}


def default_headers() -> dict[str, str]:
    """A copy of the headers every response starts with."""
    return dict(_DEFAULT_HEADERS)


# -- registration ------------------------------------------------------------------

def controller_name(module: str) -> str:
    """``app.functions.my_controller.handler`` -> ``my_controller``."""
    parts = module.split(".")
    if len(parts) > 1 and parts[-1] == "handler":
        return parts[-2]
    return parts[-1]


def _register(method: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(function: Callable[..., Any]) -> Callable[..., Any]:
        controller = controller_name(function.__module__)
        registry.register(controller, SOURCE, dispatch)
        _REGISTRY.setdefault(controller, {})[method] = function
        return function

    decorator.__name__ = method.lower()
    decorator.__doc__ = f"Register the decorated function as the {method} handler of its controller."
    return decorator


get = _register("GET")
post = _register("POST")
put = _register("PUT")
patch = _register("PATCH")
delete = _register("DELETE")
options = _register("OPTIONS")
head = _register("HEAD")


def _accepted_arguments(function: Callable[..., Any]) -> frozenset[str] | None:
    """The keyword arguments ``function`` takes; None when it takes ``**kwargs``."""
    cached = _ACCEPTS.get(function, _UNKNOWN)
    if cached is not _UNKNOWN:
        return cached
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        accepted = None
    else:
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
            accepted = None
        else:
            accepted = frozenset(p.name for p in parameters
                                 if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY))
    _ACCEPTS[function] = accepted
    return accepted


def handlers(controller: str) -> dict[str, Callable[..., Any]]:
    """The registered handlers of ``controller``, by upper-case method."""
    return dict(_REGISTRY.get(controller, {}))


# -- events ------------------------------------------------------------------------

class BadRequest(Exception):
    """The event cannot be handed to a handler; the message goes to the client."""


def _mapping(value: Any) -> dict:
    return dict(value) if isinstance(value, Mapping) else {}


def event_method(event: Mapping[str, Any]) -> str | None:
    """The HTTP method of a REST (``httpMethod``) or HTTP API (``requestContext.http.method``) event."""
    method = event.get("httpMethod")
    if not method:
        method = _mapping(_mapping(event.get("requestContext")).get("http")).get("method")
    return str(method).upper() if method else None


def _header(event: Mapping[str, Any], name: str) -> str | None:
    for key, value in _mapping(event.get("headers")).items():
        if str(key).lower() == name:
            return value
    return None


def event_body(event: Mapping[str, Any]) -> Any:
    """The request body: JSON decoded (unless the content type says it is something else)."""
    body = event.get("body")
    if body is None or body == "":
        return None
    if not isinstance(body, (str, bytes)):
        return body  # already decoded (hand-written test events)
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body, validate=True)
        except ValueError:
            raise BadRequest("Request body is not valid base64") from None
    content_type = (_header(event, "content-type") or "").split(";")[0].strip().lower()
    if content_type and content_type != "application/json" and not content_type.endswith("+json"):
        return body
    try:
        return json.loads(body)
    except ValueError:
        raise BadRequest("Request body is not valid JSON") from None


def principal_id(event: Mapping[str, Any]) -> str | None:
    """The authorizer principal: REST ``principalId``, HTTP API lambda or JWT ``sub``."""
    authorizer = _mapping(_mapping(event.get("requestContext")).get("authorizer"))
    value = authorizer.get("principalId")
    if value is None:
        value = _mapping(authorizer.get("lambda")).get("principalId")
    if value is None:
        value = _mapping(_mapping(authorizer.get("jwt")).get("claims")).get("sub")
    return value


# -- responses ---------------------------------------------------------------------

def _json_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> str:
    """Compact JSON (``{"hello":"world"}``); Decimals, datetimes and sets allowed."""
    return json.dumps(value, separators=(",", ":"), default=_json_default)


def make_response(result: Any) -> dict[str, Any]:
    """Turn a handler's return value into a proxy response dict."""
    if result is None:
        return {"statusCode": 204, "headers": default_headers(), "body": ""}
    if not (isinstance(result, Mapping) and RESPONSE_KEYS.intersection(result)):
        result = {"body": result}
    response = dict(result)
    response["statusCode"] = int(response.get("statusCode") or 200)
    headers = default_headers()
    for key, value in _mapping(response.get("headers")).items():
        if value is None:
            headers.pop(key, None)
        else:
            headers[str(key)] = str(value)
    response["headers"] = headers
    body = response.get("body")
    if body is None:
        response["body"] = ""
    elif isinstance(body, (bytes, bytearray)):
        response["body"] = base64.b64encode(bytes(body)).decode("ascii")
        response["isBase64Encoded"] = True
    elif not isinstance(body, str):
        response["body"] = dumps(body)
    return response


def error_response(status_code: int, message: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    return make_response({"statusCode": status_code, "body": {"message": message}, "headers": dict(headers or {})})


def dispatch(controller: str, event: Mapping[str, Any] | None, context: Any = None) -> dict[str, Any]:
    """Call ``controller``'s handler for the event's method; always return a response."""
    try:
        event = event if isinstance(event, Mapping) else {}
        method = event_method(event)
        registered = _REGISTRY.get(controller, {})
        handler = registered.get(method) if method else None
        if handler is None:
            allow = ", ".join(m for m in METHODS if m in registered)
            return error_response(405, f"Method {method or '(none)'} not allowed", {"Allow": allow})
        try:
            body = event_body(event)
        except BadRequest as exc:
            return error_response(400, str(exc))
        arguments = {
            "event": event,
            "context": context,
            "body": body,
            "path_parameters": _mapping(event.get("pathParameters")),
            "query_parameters": _mapping(event.get("queryStringParameters")),
            "principal_id": principal_id(event),
        }
        accepted = _accepted_arguments(handler)
        if accepted is not None:
            arguments = {key: value for key, value in arguments.items() if key in accepted}
        try:
            result = handler(**arguments)
        except ResponseExit as exit_:
            result = exit_.response
        return make_response(result)
    except Exception:
        LOG.exception("Unhandled error in controller %r", controller)
        return make_response({"statusCode": 500, "body": dict(INTERNAL_ERROR)})
