"""Who called: the JWT claims, scopes and authorizer context API Gateway puts in an HTTP event.

Where each source puts them (``requestContext.authorizer``):

* HTTP API (2.0) JWT authorizer: ``{"jwt": {"claims": {...}, "scopes": [...] | null}}``;
* HTTP API Lambda authorizer: ``{"lambda": {...its context}}``;
* HTTP API / Function URL with IAM: ``{"iam": {"accessKey", "accountId", "userArn", ...}}``;
* REST (1.0) Cognito user pool authorizer: ``{"claims": {...}}`` (values as text);
* REST Lambda authorizer: its context, flat, beside ``principalId`` and ``integrationLatency``;
* REST with IAM: nothing there; the caller is in ``requestContext.identity``.

Stdlib only (it runs on Lambda).
"""
from __future__ import annotations

from collections.abc import Mapping

TYPE_CHECKING = False  # typing is not imported at cold start
if TYPE_CHECKING:
    from typing import Any

__all__ = ["authorizer_context", "claims", "scopes"]

#: Keys API Gateway adds to a REST Lambda authorizer's context.
BOOKKEEPING = frozenset({"principalId", "integrationLatency", "claims"})
#: The caller fields of a REST event's ``identity`` that IAM authorization fills in.
IAM_FIELDS = ("accessKey", "accountId", "caller", "user", "userArn", "principalOrgId",
              "cognitoIdentityId", "cognitoIdentityPoolId", "cognitoAuthenticationType",
              "cognitoAuthenticationProvider")


def _mapping(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _authorizer(event: Mapping[str, Any]) -> Mapping:
    return _mapping(_mapping(event.get("requestContext")).get("authorizer"))


def claims(event: Mapping[str, Any]) -> dict[str, Any]:
    """The JWT claims (HTTP API JWT authorizer or REST Cognito authorizer); ``{}`` when there are none."""
    authorizer = _authorizer(event)
    found = _mapping(_mapping(authorizer.get("jwt")).get("claims")) or _mapping(authorizer.get("claims"))
    return dict(found)


def scopes(event: Mapping[str, Any]) -> list[str]:
    """The token's scopes: the HTTP API's list, else the ``scope`` (or ``scp``) claim split on spaces."""
    listed = _mapping(_authorizer(event).get("jwt")).get("scopes")
    if isinstance(listed, list):
        return [str(scope) for scope in listed]
    found = claims(event)
    value = found.get("scope", found.get("scp"))
    if isinstance(value, list):
        return [str(scope) for scope in value]
    return str(value).split() if value else []


def authorizer_context(event: Mapping[str, Any]) -> dict[str, Any]:
    """The Lambda authorizer's context, or the IAM caller's identity; ``{}`` when neither."""
    authorizer = _authorizer(event)
    if "lambda" in authorizer:
        return dict(_mapping(authorizer.get("lambda")))
    if "iam" in authorizer:
        return dict(_mapping(authorizer.get("iam")))
    if "jwt" not in authorizer:
        found = {str(k): v for k, v in authorizer.items() if k not in BOOKKEEPING}
        if found:
            return found
    identity = _mapping(_mapping(event.get("requestContext")).get("identity"))
    if identity.get("accessKey") or identity.get("userArn"):
        return {key: identity[key] for key in IAM_FIELDS if identity.get(key) is not None}
    return {}
