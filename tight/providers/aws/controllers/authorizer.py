"""Controllers for Lambda authorizers: decide who may call the app's other functions.

``app/functions/<controller>/handler.py``::

    import tight.providers.aws.controllers.authorizer as authorizer

    @authorizer.handler
    def check(request):
        if request.headers.get("x-api-key") == "...":
            return authorizer.allow("user-1", context={"tenant": "t1"})
        return authorizer.deny()

The handler gets ``request`` (an :class:`AuthorizerRequest`: the caller's headers,
query, path, ``token``...), ``event`` and ``context``. The same handler answers:

* REST API ``TOKEN`` and ``REQUEST`` events with an IAM policy. Its resource is the
  whole stage (``arn:...:execute-api:REGION:ACCOUNT:API/STAGE/*``), not the method
  called: API Gateway caches the answer per identity (``functions.<name>.ttl``) and
  reuses it for every route the authorizer guards, so a policy naming only the first
  route would refuse the caller's next request to another one. Decide per route in
  the function, or with ``auth: none`` on routes anyone may call.
* HTTP API events (payload 2.0) with a simple response (``isAuthorized``, ``context``).

The context reaches the function as ``request.authorizer``; the principal as
``principal_id``. REST allows only text, numbers and booleans as context values:
others are sent as JSON text. Anything but :func:`allow` or :func:`deny` returned
(or an exception) denies: an authorizer fails closed.
"""
from __future__ import annotations

import json
from collections.abc import Mapping

TYPE_CHECKING = False  # typing is not imported at cold start
if TYPE_CHECKING:
    from typing import Any

from tight.providers.aws.controllers import records as _records
from tight.providers.aws.events.http import Request

__all__ = ["SOURCE", "AuthorizerRequest", "Decision", "allow", "deny", "dispatch", "handler", "stage_arn"]

SOURCE = "authorizer"
_HANDLERS: dict[str, _records.Handler] = {}


class Decision:
    """What :func:`allow` and :func:`deny` return."""

    __slots__ = ("allowed", "context", "principal")

    def __init__(self, allowed: bool, principal: str, context: Mapping[str, Any] | None = None):
        self.allowed = allowed
        self.principal = str(principal)
        self.context = dict(context or {})

    def __repr__(self) -> str:
        return f"<{'allow' if self.allowed else 'deny'} {self.principal!r}>"


def allow(principal: str, context: Mapping[str, Any] | None = None) -> Decision:
    """Let the caller in as ``principal``; ``context`` reaches the function as ``request.authorizer``."""
    return Decision(True, principal, context)


def deny(principal: str = "anonymous") -> Decision:
    """Refuse the caller: API Gateway answers 403 ``{"message":"Forbidden"}``."""
    return Decision(False, principal)


class AuthorizerRequest(Request):
    """The request an authorizer decides on (REST ``TOKEN``/``REQUEST`` or HTTP API events)."""

    @property
    def kind(self) -> str:
        """``TOKEN`` (REST, the token only) or ``REQUEST`` (headers, query, path...)."""
        return str(self.event.get("type") or "REQUEST").upper()

    @property
    def token(self) -> str | None:
        """The identity source: a TOKEN event's token, else the first identity source or Authorization."""
        if self.event.get("authorizationToken") is not None:
            return str(self.event["authorizationToken"])
        sources = self.event.get("identitySource")
        if isinstance(sources, list) and sources:
            return str(sources[0])
        return self.headers.get("authorization")

    @property
    def arn(self) -> str | None:
        """The ARN of the route called (``methodArn`` on REST, ``routeArn`` on HTTP APIs)."""
        return self.event.get("methodArn") or self.event.get("routeArn")


def stage_arn(arn: str | None) -> str:
    """``arn:...:API/STAGE/METHOD/path`` -> ``arn:...:API/STAGE/*``: every route of the stage."""
    head, sep, rest = str(arn or "").partition(":execute-api:")
    parts = rest.split("/")
    if not sep or len(parts) < 2:
        return "*" if not arn else str(arn)
    return f"{head}{sep}{parts[0]}/{parts[1]}/*"


def _rest_context(context: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): v if isinstance(v, (str, int, float, bool)) else json.dumps(v, default=str)
            for k, v in context.items() if v is not None}


def answer(decision: Decision, event: Mapping[str, Any]) -> dict[str, Any]:
    """The response API Gateway expects from an authorizer for ``event``."""
    if event.get("version") == "2.0":  # HTTP API, simple responses
        return {"isAuthorized": decision.allowed,
                "context": {**decision.context, "principalId": decision.principal} if decision.allowed else {}}
    statement = {"Action": "execute-api:Invoke", "Effect": "Allow" if decision.allowed else "Deny",
                 "Resource": stage_arn(event.get("methodArn"))}
    result = {"principalId": decision.principal,
              "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}}
    if decision.allowed and decision.context:
        result["context"] = _rest_context(decision.context)
    return result


def dispatch(controller: str, event: Any, context: Any = None) -> Any:
    """Call ``controller``'s handler; answer with its decision in the shape ``event`` asks for."""
    function = _HANDLERS.get(controller)
    if function is None:
        raise _records.no_handler(controller, SOURCE)
    if not isinstance(event, Mapping) or not (event.get("methodArn") or event.get("routeArn") or event.get("type")):
        raise _records.wrong_event(controller, "API Gateway authorizer events", event)
    request = AuthorizerRequest(event, context)
    try:
        decision = _records.call(function, {"request": request, "event": event, "context": context})
    except Exception:  # noqa: BLE001 - an authorizer that fails denies (fails closed)
        _records.log().exception("authorizer %r failed: denying", controller)
        decision = deny()
    if not isinstance(decision, Decision):
        _records.log().error("authorizer %r returned %r, not authorizer.allow(...) or authorizer.deny(): denying",
                             controller, type(decision).__name__)
        decision = deny()
    return answer(decision, event)


handler = _records.decorator(SOURCE, _HANDLERS, dispatch, "handler")
