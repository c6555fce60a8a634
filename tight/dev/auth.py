"""Who may call the app's HTTP functions: tight.yml's ``api:``, ``auth:`` and each function's ``auth``.

One reader for every task (``tight_tasks.config``), ``local.serve`` and ``deploy``::

    api: http                 # rest (default) | http
    auth:
      default: none           # none (default) | jwt | iam | <an authorizer function>
      jwt:
        issuer: https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf
        audience: [my-client-id]
    functions:
      orders: {auth: jwt, scopes: [orders/read]}
      gate: {type: authorizer, ttl: 300}

Pure and stdlib only. Errors raise :class:`AuthConfigError` (a
:class:`~tight.dev.routes.FunctionsConfigError`), one line saying what to change.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from .routes import FunctionsConfigError

APIS = ("rest", "http")
KINDS = ("none", "jwt", "iam")
AUTH_KEYS = ("default", "jwt")
JWT_KEYS = ("issuer", "audience")
URLS = ("public", "iam")
#: API Gateway caches an authorizer's answer for at most an hour.
MAX_TTL = 3600
DEFAULT_TTL = 300
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
_COGNITO = re.compile(r"https://cognito-idp\.([a-z0-9-]+)\.amazonaws\.com/([a-z0-9-]+_[A-Za-z0-9]+)\Z")


class AuthConfigError(FunctionsConfigError):
    """``api:``/``auth:`` or a function's ``auth``/``scopes``/``ttl``/``url`` cannot be used."""


class Rule(NamedTuple):
    """What a caller of one function must show: ``kind`` none, jwt, iam or authorizer."""

    kind: str
    #: The authorizer function (kind ``authorizer``).
    authorizer: str | None = None
    #: Scopes the token must carry one of (kind ``jwt``).
    scopes: tuple[str, ...] = ()


def _mapping(where: str, value: Any, example: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise AuthConfigError(f"{where} must be a mapping (e.g. {example}), got {type(value).__name__}")
    return value


def _unknown(where: str, section: Mapping[str, Any], known: tuple[str, ...]) -> None:
    extra = sorted(str(k) for k in section if k not in known)
    if extra:
        raise AuthConfigError(f"{where}: unknown key {extra[0]} (known: {', '.join(known)})")


def api_type(config: Mapping[str, Any] | None) -> str:
    """``rest`` (default) or ``http``."""
    value = (config or {}).get("api")
    if value is None:
        return "rest"
    if value not in APIS:
        raise AuthConfigError(f"api {value!r} is not one of rest (a REST API, the default) or http (an HTTP API)")
    return value


def is_local_issuer(issuer: str) -> bool:
    """True for an ``http://`` issuer on this machine (local.serve accepts it; deploy does not)."""
    parts = urlsplit(issuer)
    return parts.scheme == "http" and parts.hostname in LOCAL_HOSTS


def cognito_pool(issuer: str) -> tuple[str, str] | None:
    """``(region, user pool id)`` of a Cognito user pool issuer, else None."""
    found = _COGNITO.match(issuer.rstrip("/"))
    return (found.group(1), found.group(2)) if found else None


def jwt_settings(config: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``{"issuer": ..., "audience": [...]}`` of ``auth.jwt``, or None when there is none."""
    auth = _mapping("auth", (config or {}).get("auth"), "auth: {default: jwt}")
    section = auth.get("jwt")
    if section is None:
        return None
    section = _mapping("auth.jwt", section, "jwt: {issuer: https://..., audience: [client-id]}")
    _unknown("auth.jwt", section, JWT_KEYS)
    issuer = section.get("issuer")
    if not isinstance(issuer, str) or not issuer.strip():
        raise AuthConfigError("auth.jwt needs an issuer: the https:// URL of the OIDC issuer "
                              "(e.g. issuer: https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf)")
    parts = urlsplit(issuer)
    if not (parts.scheme == "https" and parts.hostname) and not is_local_issuer(issuer):
        raise AuthConfigError(f"auth.jwt.issuer {issuer!r} must be an https:// URL (http:// only on localhost)")
    audience = section.get("audience")
    audience = [audience] if isinstance(audience, str) else audience
    if not isinstance(audience, list) or not audience or not all(isinstance(a, str) and a for a in audience):
        raise AuthConfigError("auth.jwt.audience must list the client ids tokens are issued to "
                              "(e.g. audience: [my-client-id])")
    return {"issuer": issuer, "audience": list(audience)}


def _authorizers(config: Mapping[str, Any]) -> list[str]:
    section = config.get("functions")
    if not isinstance(section, Mapping):
        return []
    return sorted(str(n) for n, e in section.items() if isinstance(e, Mapping) and e.get("type") == "authorizer")


def _kind(where: str, value: Any, authorizers: list[str]) -> str:
    if value in KINDS or value in authorizers:
        return value
    names = f" or an authorizer function ({', '.join(authorizers)})" if authorizers else \
        " or the name of an authorizer function (tight generate.function NAME --type authorizer)"
    raise AuthConfigError(f"{where} {value!r} is not none, jwt, iam{names}")


def default_kind(config: Mapping[str, Any] | None) -> str:
    """``auth.default``: none, jwt, iam or an authorizer function's name."""
    config = config or {}
    auth = _mapping("auth", config.get("auth"), "auth: {default: jwt}")
    _unknown("auth", auth, AUTH_KEYS)
    return _kind("auth.default", auth.get("default") or "none", _authorizers(config))


def check(config: Mapping[str, Any] | None) -> None:
    """Fail with one line when ``api:``, ``auth:`` or a function's auth settings cannot be used."""
    config = config or {}
    api_type(config)
    jwt = jwt_settings(config)
    default = default_kind(config)
    section = config.get("functions")
    uses_jwt = default == "jwt"
    for name, entry in (section.items() if isinstance(section, Mapping) else ()):
        if isinstance(entry, Mapping):
            uses_jwt = function_rule(config, str(name), entry, default).kind == "jwt" or uses_jwt
    if uses_jwt and jwt is None:
        raise AuthConfigError("auth: jwt needs auth.jwt with an issuer and an audience "
                              "(auth: {jwt: {issuer: https://..., audience: [client-id]}})")


def function_rule(config: Mapping[str, Any], name: str, entry: Mapping[str, Any], default: str | None = None) -> Rule:
    """The :class:`Rule` of function ``name`` (``entry``: its tight.yml settings)."""
    if entry.get("type", "lambda_proxy") != "lambda_proxy":
        return Rule("none")
    default = default_kind(config) if default is None else default
    value = entry.get("auth")
    kind = default if value is None else _kind(f"function {name!r}: auth", value, _authorizers(config))
    scopes = entry.get("scopes")
    if scopes is not None:
        if kind != "jwt":
            raise AuthConfigError(f"function {name!r}: scopes apply to auth: jwt only (its auth is {kind})")
        scopes = [scopes] if isinstance(scopes, str) else scopes
        if not isinstance(scopes, list) or not scopes or not all(isinstance(s, str) and s.strip() for s in scopes):
            raise AuthConfigError(f"function {name!r}: scopes must be a list of scope names (e.g. [orders/read])")
    if entry.get("url") == "public" and kind != "none":
        raise AuthConfigError(f"function {name!r}: url: public would let anyone call it around its auth ({kind}): "
                              "use url: iam, or auth: none if it is meant to be open")
    if kind in KINDS:
        return Rule(kind, None, tuple(scopes or ()))
    return Rule("authorizer", kind)


def rules(config: Mapping[str, Any] | None, functions: Mapping[str, Mapping[str, Any]]) -> dict[str, Rule]:
    """The :class:`Rule` of every ``lambda_proxy`` function in ``functions`` (its checked settings)."""
    config = config or {}
    default = default_kind(config)
    return {name: function_rule(config, name, settings, default) for name, settings in functions.items()
            if settings.get("type", "lambda_proxy") == "lambda_proxy"}


def check_function_keys(name: str, result: Mapping[str, Any]) -> None:
    """``ttl`` (authorizers: 0 to 3600 seconds) and ``url`` (public or iam) of one function's settings."""
    ttl = result.get("ttl")
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 <= ttl <= MAX_TTL):
        raise AuthConfigError(f"function {name!r}: ttl must be a whole number of seconds from 0 (no caching) "
                              f"to {MAX_TTL}, got {ttl!r}")
    url = result.get("url")
    if url is not None and url not in URLS:
        raise AuthConfigError(f"function {name!r}: url {url!r} is not public (anyone may call it) or iam "
                              "(signed requests only)")
    header = result.get("header")
    if header is not None and (not isinstance(header, str) or not re.fullmatch(r"[A-Za-z0-9-]+", header)):
        raise AuthConfigError(f"function {name!r}: header {header!r} must be one HTTP header name "
                              "(e.g. header: Authorization)")
