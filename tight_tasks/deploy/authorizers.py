"""Who may call the API, in the template: authorizers for the REST API and the HTTP API (pure: no I/O).

From each route's :class:`tight.dev.auth.Rule`:

* ``jwt``: on an HTTP API a JWT authorizer (issuer, audience; the route's scopes);
  on a REST API a Cognito user pool issuer becomes a ``COGNITO_USER_POOLS``
  authorizer, any other issuer is refused (:func:`check`);
* an authorizer function: a ``REQUEST`` authorizer (REST: IAM policy answers;
  HTTP API: simple responses, payload 2.0) reading ``functions.<name>.header``
  (default Authorization), cached ``functions.<name>.ttl`` seconds, plus the
  permission letting the API invoke the function;
* ``iam``: ``AWS_IAM`` on the method or route (no authorizer resource).

:func:`method_auth` gives the properties a REST method or HTTP route needs.
"""
from __future__ import annotations

from typing import Any

from tight.dev.auth import cognito_pool, is_local_issuer

from .parts import PARTITION, App, Parts, TemplateError, api_permission, logical_id

JWT_AUTHORIZER = "JwtAuthorizer"


def check(app: App) -> None:
    """Refuse (one line) what API Gateway cannot do with the app's auth settings."""
    uses_jwt = any(rule.kind == "jwt" for rule in app.rules.values())
    if not uses_jwt or app.jwt is None:
        return
    issuer = app.jwt["issuer"]
    if is_local_issuer(issuer):
        raise TemplateError(f"auth.jwt.issuer {issuer} is a local http:// issuer: local.serve accepts it, "
                            "API Gateway needs the https:// URL of a real OIDC issuer")
    if app.api == "rest" and cognito_pool(issuer) is None:
        raise TemplateError(f"auth: jwt with issuer {issuer} needs an HTTP API: a REST API checks only Cognito "
                            "user pool tokens; add `api: http` to tight.yml")


def authorizer_id(name: str) -> str:
    return logical_id("Authorizer", name)


def used_authorizers(app: App) -> list[str]:
    return sorted({rule.authorizer for rule in app.rules.values() if rule.kind == "authorizer"})


def _invoke_uri(function: str) -> dict[str, Any]:
    return {"Fn::Sub": f"{PARTITION}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/"
                       f"${{{logical_id('Function', function)}.Arn}}/invocations"}


def rest_authorizers(app: App, api: str) -> Parts:
    """``AWS::ApiGateway::Authorizer`` resources (and invoke permissions) for REST API ``api``."""
    parts = Parts()
    for name in used_authorizers(app):
        settings = app.functions[name]
        key = authorizer_id(name)
        parts.resources[key] = {"Type": "AWS::ApiGateway::Authorizer", "Properties": {
            "Name": name, "RestApiId": {"Ref": api}, "Type": "REQUEST", "AuthorizerUri": _invoke_uri(name),
            "IdentitySource": f"method.request.header.{settings.get('header') or 'Authorization'}",
            "AuthorizerResultTtlInSeconds": int(settings.get("ttl", 300))}}
        parts.resources[logical_id("AuthInvoke", name)] = api_permission(name, api, f"authorizers/${{{key}}}")
    if app.jwt and any(rule.kind == "jwt" for rule in app.rules.values()):
        region, pool = cognito_pool(app.jwt["issuer"])
        parts.resources[JWT_AUTHORIZER] = {"Type": "AWS::ApiGateway::Authorizer", "Properties": {
            "Name": "jwt", "RestApiId": {"Ref": api}, "Type": "COGNITO_USER_POOLS",
            "IdentitySource": "method.request.header.Authorization",
            "ProviderARNs": [{"Fn::Sub": f"{PARTITION}:cognito-idp:{region}:${{AWS::AccountId}}:userpool/{pool}"}]}}
    return parts


def http_authorizers(app: App, api: str) -> Parts:
    """``AWS::ApiGatewayV2::Authorizer`` resources (and invoke permissions) for HTTP API ``api``."""
    parts = Parts()
    for name in used_authorizers(app):
        settings = app.functions[name]
        key = authorizer_id(name)
        parts.resources[key] = {"Type": "AWS::ApiGatewayV2::Authorizer", "Properties": {
            "Name": name, "ApiId": {"Ref": api}, "AuthorizerType": "REQUEST", "AuthorizerUri": _invoke_uri(name),
            "AuthorizerPayloadFormatVersion": "2.0", "EnableSimpleResponses": True,
            "IdentitySource": [f"$request.header.{settings.get('header') or 'Authorization'}"],
            "AuthorizerResultTtlInSeconds": int(settings.get("ttl", 300))}}
        parts.resources[logical_id("AuthInvoke", name)] = api_permission(name, api, f"authorizers/${{{key}}}")
    if app.jwt and any(rule.kind == "jwt" for rule in app.rules.values()):
        parts.resources[JWT_AUTHORIZER] = {"Type": "AWS::ApiGatewayV2::Authorizer", "Properties": {
            "Name": "jwt", "ApiId": {"Ref": api}, "AuthorizerType": "JWT",
            "IdentitySource": ["$request.header.Authorization"],
            "JwtConfiguration": {"Issuer": app.jwt["issuer"], "Audience": list(app.jwt["audience"])}}}
    return parts


def method_auth(app: App, function: str, http: bool) -> dict[str, Any]:
    """The authorization properties of ``function``'s REST methods (``http``: HTTP API routes)."""
    rule = app.rules.get(function)
    kind = rule.kind if rule is not None else "none"
    if kind == "none":
        return {"AuthorizationType": "NONE"}
    if kind == "iam":
        return {"AuthorizationType": "AWS_IAM"}
    if kind == "authorizer":
        return {"AuthorizationType": "CUSTOM", "AuthorizerId": {"Ref": authorizer_id(rule.authorizer)}}
    found = {"AuthorizationType": "JWT" if http else "COGNITO_USER_POOLS", "AuthorizerId": {"Ref": JWT_AUTHORIZER}}
    if rule.scopes:
        found["AuthorizationScopes"] = list(rule.scopes)
    return found

