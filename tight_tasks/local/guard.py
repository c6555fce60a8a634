"""What API Gateway checks before a function runs, done by ``local.serve``: JWT, Lambda authorizers, IAM.

:class:`Guard` takes each request's route rule (:mod:`tight.dev.auth`) and either
refuses the request as API Gateway would, or lets it through with what API Gateway
adds to the event (``requestContext.authorizer``, or the IAM caller's identity):

* jwt: :class:`~.tokens.Verifier`; a failure is 401 ``{"message":"Unauthorized"}``
  (403 ``Forbidden`` when only the scopes are missing, as an HTTP API answers);
* an authorizer function: run in this process with the event API Gateway sends it
  (REST REQUEST under payload 1.0, HTTP API under 2.0); no identity header is 401,
  a deny 403, its answer cached per identity for its ``ttl``;
* iam: a request without a SigV4 ``Authorization`` header is 403; the signature
  itself is not verified here (no AWS credentials to check it against).

``OPTIONS`` requests pass unchecked: deploy gives every protected path an
``OPTIONS`` route without auth, so browsers' CORS preflights reach the function.
"""
from __future__ import annotations

import copy
import fnmatch
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tight.dev import auth, gateway
from tight.dev.routes import Match

from .tokens import TokenRefused, Verifier, bearer

JSON = [("Content-Type", "application/json")]
MESSAGES = {401: b'{"message":"Unauthorized"}', 403: b'{"message":"Forbidden"}',
            500: b'{"message":"Internal Server Error"}'}
_CREDENTIAL = "AWS4-HMAC-SHA256 Credential="


def refuse(status: int, reason: str) -> gateway.HttpResponse:
    return gateway.HttpResponse(status, list(JSON), MESSAGES[status], reason)


def text_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as API Gateway passes them: text, lists as ``[a b]``."""
    def text(value: Any) -> str:
        if isinstance(value, list):
            return "[" + " ".join(map(str, value)) + "]"
        if isinstance(value, bool):
            return str(value).lower()
        return value if isinstance(value, str) else json.dumps(value)
    return {str(k): text(v) for k, v in claims.items()}


class Guard:
    """The auth rules of one app's routes; ``call(function, event)`` runs an authorizer function."""

    def __init__(self, root: Path, config: dict[str, Any], settings: dict[str, dict], payload: str, stage: str,
                 call: Callable[[str, Any], Any]):
        self.rules = auth.rules(config, settings)
        jwt = auth.jwt_settings(config)
        self.verifier = Verifier(jwt, root) if jwt else None
        self.settings, self.payload, self.stage, self.call = settings, payload, stage, call
        self.region = os.environ.get("AWS_REGION") or "us-east-1"
        self.notes = deploy_notes(auth.api_type(config), jwt, self.rules)
        self._cache: dict[tuple[str, str], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def describe(self, function: str) -> str:
        rule = self.rules.get(function)
        if rule is None or rule.kind == "none":
            return ""
        if rule.kind == "jwt":
            return f"jwt{' ' + ','.join(rule.scopes) if rule.scopes else ''}"
        return rule.authorizer if rule.kind == "authorizer" else rule.kind

    def admit(self, request: gateway.Request, match: Match, event: dict[str, Any]) -> gateway.HttpResponse | None:
        """None to let the request through (``event`` completed), else API Gateway's refusal."""
        rule = self.rules.get(match.route.function)
        if rule is None or rule.kind == "none" or request.method == "OPTIONS":
            return None
        if rule.kind == "jwt":
            return self._jwt(request, rule, event)
        if rule.kind == "iam":
            return self._iam(request, event)
        return self._authorizer(request, rule.authorizer, event)

    def _jwt(self, request: gateway.Request, rule: auth.Rule, event: dict[str, Any]) -> gateway.HttpResponse | None:
        if self.verifier is None:
            return refuse(401, "auth.jwt is not configured")
        try:
            claims = self.verifier.verify(bearer(request.headers), rule.scopes)
        except TokenRefused as exc:
            return refuse(exc.status, f"JWT: {exc}")
        from .tokens import token_scopes

        if self.payload == "2.0":
            event["requestContext"]["authorizer"] = {
                "jwt": {"claims": text_claims(claims), "scopes": token_scopes(claims) or None}}
        else:
            event["requestContext"]["authorizer"] = {"claims": text_claims(claims)}
        return None

    def _iam(self, request: gateway.Request, event: dict[str, Any]) -> gateway.HttpResponse | None:
        value = next((v for k, v in request.headers if k.lower() == "authorization"), "")
        if not value.startswith(_CREDENTIAL):
            return refuse(403, "IAM: no SigV4 Authorization header (signatures are not verified locally)")
        access_key = value[len(_CREDENTIAL):].split("/", 1)[0]
        arn = f"arn:aws:iam::{gateway.ACCOUNT_ID}:user/local"
        if self.payload == "2.0":
            event["requestContext"]["authorizer"] = {"iam": {
                "accessKey": access_key, "accountId": gateway.ACCOUNT_ID, "callerId": "local",
                "cognitoIdentity": None, "principalOrgId": None, "userArn": arn, "userId": "local"}}
        else:
            event["requestContext"]["identity"].update(accessKey=access_key, accountId=gateway.ACCOUNT_ID,
                                                       caller="local", user="local", userArn=arn)
        return None

    # -- authorizer functions ----------------------------------------------------------
    def _arn(self, request: gateway.Request) -> str:
        return (f"arn:aws:execute-api:{self.region}:{gateway.ACCOUNT_ID}:{gateway.API_ID}/{self.stage}/"
                f"{request.method}{request.path}")

    def _event(self, request: gateway.Request, event: dict[str, Any], identity: str) -> dict[str, Any]:
        asked = {k: copy.deepcopy(v) for k, v in event.items() if k not in ("body", "isBase64Encoded")}
        asked["requestContext"].pop("authorizer", None)
        if self.payload == "2.0":
            return {"version": "2.0", "type": "REQUEST", "routeArn": self._arn(request),
                    "identitySource": [identity], **{k: v for k, v in asked.items() if k != "version"}}
        return {"type": "REQUEST", "methodArn": self._arn(request), **asked}

    def _answer(self, name: str, request: gateway.Request, event: dict[str, Any], identity: str) -> Any:
        ttl = self.settings.get(name, {}).get("ttl", auth.DEFAULT_TTL)
        key = (name, identity)
        with self._lock:
            cached = self._cache.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        answer = self.call(name, self._event(request, event, identity))
        if ttl:
            with self._lock:
                self._cache[key] = (time.monotonic() + ttl, answer)
        return answer

    def _authorizer(self, request: gateway.Request, name: str, event: dict[str, Any]) -> gateway.HttpResponse | None:
        header = self.settings.get(name, {}).get("header") or "Authorization"
        identity = next((v for k, v in request.headers if k.lower() == header.lower()), "")
        if not identity.strip():
            return refuse(401, f"authorizer {name}: no {header} header (its identity source)")
        started = time.perf_counter()
        try:
            answer = self._answer(name, request, event, identity)
        except Exception as exc:  # noqa: BLE001 - the authorizer crashed: API Gateway answers 500
            return refuse(500, f"authorizer {name} failed: {type(exc).__name__}: {exc}")
        latency = int((time.perf_counter() - started) * 1000)
        if self.payload == "2.0":
            if not isinstance(answer, dict) or not isinstance(answer.get("isAuthorized"), bool):
                return refuse(500, f"authorizer {name} answered {answer!r:.200}, not a simple response")
            if not answer["isAuthorized"]:
                return refuse(403, f"authorizer {name} denied it")
            event["requestContext"]["authorizer"] = {"lambda": dict(answer.get("context") or {})}
            return None
        allowed, why = policy_allows(answer, self._arn(request))
        if not allowed:
            return refuse(500 if why else 403, why or f"authorizer {name} denied it")
        context = answer.get("context") or {}
        event["requestContext"]["authorizer"] = {**context, "principalId": answer.get("principalId"),
                                                 "integrationLatency": latency}
        return None


def deploy_notes(api: str, jwt: dict[str, Any] | None, rules: dict[str, auth.Rule]) -> list[str]:
    """What local.serve accepts here and ``deploy`` will refuse, said up front."""
    if jwt is None or not any(rule.kind == "jwt" for rule in rules.values()):
        return []
    if auth.is_local_issuer(jwt["issuer"]):
        return [f"auth.jwt.issuer {jwt['issuer']} is served over http: fine here, deploy needs an https:// issuer"]
    if api == "rest" and auth.cognito_pool(jwt["issuer"]) is None:
        return ["deploy refuses auth: jwt on a REST API with a non-Cognito issuer: add `api: http` to tight.yml"]
    return []


def policy_allows(answer: Any, arn: str) -> tuple[bool, str | None]:
    """Whether a REST authorizer's ``answer`` lets ``arn`` be invoked; a malformed answer says why."""
    try:
        statements = answer["policyDocument"]["Statement"]
        str(answer["principalId"])
    except (KeyError, TypeError):
        return False, f"authorizer answered {answer!r:.200}, not principalId + policyDocument"
    allowed = False
    for statement in statements if isinstance(statements, list) else [statements]:
        resources = statement.get("Resource") if isinstance(statement, dict) else None
        resources = resources if isinstance(resources, list) else [resources]
        if any(isinstance(r, str) and fnmatch.fnmatchcase(arn, r) for r in resources):
            if statement.get("Effect") == "Deny":
                return False, None
            allowed = allowed or statement.get("Effect") == "Allow"
    return allowed, None
