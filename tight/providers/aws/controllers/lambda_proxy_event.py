"""Controllers for HTTP events: API Gateway REST (1.0) and HTTP APIs (2.0), Function URLs, ALB.

A generated ``app/functions/<controller>/handler.py`` registers one function
per HTTP method::

    import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy

    @lambda_proxy.get
    def get_handler(*args, **kwargs):
        return {'statusCode': 200, 'body': {'hello': 'world'}}

The controller is the handler module's package (``app.functions.my_controller.handler``
-> ``my_controller``). :func:`dispatch` (what ``app_index.my_controller(event, context)``
calls) answers CORS preflights, picks the handler for the event's method and turns
whatever happens into the response the event's source expects (see
:mod:`tight.providers.aws.controllers.http_response` for the rules).

Handlers are called with keyword arguments ``request`` (a
:class:`tight.providers.aws.events.http.Request`), ``event``, ``context``, ``body``
(the decoded request body, or None), ``path_parameters``, ``query_parameters`` (first
value of each) and ``principal_id`` (the authorizer's principal, or None). A handler
that does not take ``**kwargs`` gets only the ones it names (``def get(request)``),
so the body is decoded only for handlers that name ``body`` (or take ``**kwargs``),
or read ``request.body``.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

TYPE_CHECKING = False  # typing is not imported at cold start
if TYPE_CHECKING:
    from typing import Any

from tight.providers.aws.controllers import arguments, cors, registry
from tight.providers.aws.controllers.http_response import Response, build, dumps, render
from tight.providers.aws.events.http import BadRequest, Request, principal_id
from tight.providers.aws.lambda_app import secrets

__all__ = [
    "ResponseExit",
    "configure_cors",
    "controller_name",
    "default_headers",
    "delete",
    "dispatch",
    "dumps",
    "error_response",
    "exit_with_response",
    "get",
    "handlers",
    "head",
    "options",
    "patch",
    "post",
    "principal_id",
    "put",
    "set_default_headers",
]


SOURCE = "http"  # API Gateway REST and HTTP APIs, Function URLs, ALB
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")
INTERNAL_ERROR = {"message": "Internal server error"}
ARGUMENTS = ("request", "event", "context", "body", "path_parameters", "query_parameters", "principal_id")

_DEFAULT_HEADERS: dict[str, str] = {}
_REGISTRY: dict[str, dict[str, Callable[..., Any]]] = {}
_ACCEPTS: dict[Callable[..., Any], tuple[str, ...]] = {}


def _log():
    import logging  # only when something is logged: not at cold start

    return logging.getLogger('tight.lambda_proxy')


class ResponseExit(BaseException):
    """Raised by :func:`exit_with_response`; the dispatcher turns it into the response.

    A ``BaseException`` (like ``SystemExit``), so a handler's ``except Exception:``
    does not swallow it on its way to the dispatcher.
    """

    def __init__(self, status_code: int, body: Any = None, headers: Mapping[str, str] | None = None):
        super().__init__(status_code)
        self.response = {"statusCode": int(status_code), "body": body}
        if headers:
            self.response["headers"] = dict(headers)


def exit_with_response(status_code: int, body: Any = None, headers: Mapping[str, str] | None = None):
    """End the current handler now and answer with ``status_code`` and ``body``."""
    raise ResponseExit(status_code, body, headers)


configure_cors = cors.configure


# -- default headers ---------------------------------------------------------------

def set_default_headers(headers: Mapping[str, str]) -> None:
    """Replace the headers every response of this app starts with."""
    global _DEFAULT_HEADERS
    _DEFAULT_HEADERS = {str(k): str(v) for k, v in dict(headers).items()}


def default_headers() -> dict[str, str]:
    """A copy of the headers every response starts with."""
    return dict(_DEFAULT_HEADERS)


# -- registration ------------------------------------------------------------------

controller_name = registry.controller_name


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


def _accepted_arguments(function: Callable[..., Any]) -> tuple[str, ...]:
    """Which of :data:`ARGUMENTS` ``function`` takes (all of them when it takes ``**kwargs``)."""
    found = _ACCEPTS.get(function)
    if found is None:
        names = arguments.accepted(function)
        found = ARGUMENTS if names is None else tuple(a for a in ARGUMENTS if a in names)
        _ACCEPTS[function] = found
    return found


def handlers(controller: str) -> dict[str, Callable[..., Any]]:
    """The registered handlers of ``controller``, by upper-case method."""
    return dict(_REGISTRY.get(controller, {}))


# -- dispatch ----------------------------------------------------------------------

def _arguments(request: Request, accepted: tuple[str, ...]) -> dict[str, Any]:
    if accepted is ARGUMENTS:  # **kwargs: every argument, each computed the cheapest way for its event
        event = request.event
        raw_body = event.get("body")
        parameters = event.get("pathParameters")
        return {"request": request, "event": event, "context": request.context,
                "body": None if raw_body is None or raw_body == "" else request.body,
                "path_parameters": dict(parameters) if type(parameters) is dict else request.path_parameters,
                "query_parameters": request.query,
                "principal_id": principal_id(event) if "requestContext" in event else None}
    values = {}
    for name in accepted:
        if name == "request":
            values[name] = request
        elif name == "event":
            values[name] = request.event
        elif name == "context":
            values[name] = request.context
        elif name == "query_parameters":
            values[name] = request.query
        else:  # body, path_parameters, principal_id
            values[name] = getattr(request, name)
    return values


def _message(status: int, message: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {"statusCode": status, "body": {"message": message}, "headers": dict(headers or {})}


def _answer(request: Request, controller: str) -> Any:
    registered = _REGISTRY.get(controller, {})
    method = request.method
    if method == "OPTIONS" and cors.is_preflight(method, request.headers) and cors.settings() is not None:
        return cors.preflight(request.headers, [m for m in METHODS if m in registered])
    handler = registered.get(method) if method else None
    if handler is None:
        allow = ", ".join(m for m in METHODS if m in registered)
        return _message(405, f"Method {method or '(none)'} not allowed", {"Allow": allow})
    try:
        return handler(**_arguments(request, _accepted_arguments(handler)))
    except BadRequest as exc:
        return _message(400, str(exc))
    except ResponseExit as exit_:
        return exit_.response


def _respond(request: Request, result: Any) -> dict[str, Any]:
    response = result if isinstance(result, Response) else build(result, _DEFAULT_HEADERS)
    cors.decorate(response, request)
    return render(response, request.source, request.multi_value)


def error_response(event: Any, context: Any, status: int, message: str) -> dict[str, Any]:
    """A ``{"message": ...}`` response with ``status``, shaped for ``event``'s source."""
    request = Request(event if isinstance(event, Mapping) else {}, context)
    return _respond(request, _message(status, message))


def dispatch(controller: str, event: Mapping[str, Any] | None, context: Any = None) -> dict[str, Any]:
    """Call ``controller``'s handler for the event's method; always return a response
    shaped for the event's source."""
    request = Request(event if type(event) is dict or isinstance(event, Mapping) else {}, context)
    try:
        return _respond(request, _answer(request, controller))
    except Exception as exc:  # noqa: BLE001 - every failure becomes a logged 500
        unresolved = secrets.unresolved(exc)
        if unresolved:  # one line, not a traceback: the reference is what failed
            _log().error("Controller %r needs %s", controller, unresolved, extra={"controller": controller})
        elif getattr(exc, "one_line", False):  # NaN in the body...: the message says what and where
            _log().error("Controller %r: %s", controller, exc, extra={"controller": controller})
        else:
            _log().exception("Unhandled error in controller %r", controller, extra={"controller": controller})
        return _respond(request, {"statusCode": 500, "body": dict(INTERNAL_ERROR)})
