"""The HTTP API (API Gateway v2, ``api: http`` in tight.yml) part of the template (pure: no I/O).

* ``AWS::ApiGatewayV2::Api`` (``ProtocolType: HTTP``) named ``<app>-<stage>``;
* per function with routes, one ``AWS_PROXY`` integration (payload format 2.0) and
  the ``AWS::Lambda::Permission`` letting this API (and nothing else) invoke it;
* per route, ``ANY <path>`` authorized as the function's ``auth`` says
  (:mod:`.authorizers`); a protected path also gets an open ``OPTIONS <path>`` route,
  so browsers' CORS preflights reach the function, whose runtime answers them
  (``lambda_proxy.configure_cors``: one CORS policy, locally and deployed; the API
  has no ``CorsConfiguration``, which would override the function's headers);
* the ``$default`` stage: auto-deployed, throttled (``deploy.throttle``, :mod:`.apistage`), with JSON access logs in
  ``/aws/apigateway/<app>-<stage>``.

No ``AWS::ApiGateway::*`` resources. moto's CloudFormation skips every v2 type, so
this is checked in the template and with cfn-lint.
"""
from __future__ import annotations

from typing import Any

from .apistage import access_log_format, throttle
from .authorizers import check, http_authorizers, method_auth
from .parts import App, Parts, api_permission, logical_id

API = "HttpApi"
STAGE = "HttpApiStage"
ACCESS_LOGS = "HttpApiAccessLogs"
ACCESS_LOG_FORMAT = access_log_format({"routeKey": "$context.routeKey"})


def api_url(api_id: str, region: str) -> str:
    """The invoke URL of an HTTP API's ``$default`` stage."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://{api_id}.execute-api.{region}.{suffix}/"


def _integration(function: str) -> dict[str, Any]:
    return {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {
        "ApiId": {"Ref": API}, "IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0",
        "IntegrationUri": {"Fn::GetAtt": [logical_id("Function", function), "Arn"]}}}


def _route(key: str, function: str, auth: dict[str, Any]) -> dict[str, Any]:
    target = {"Fn::Sub": f"integrations/${{{logical_id('HttpIntegration', function)}}}"}
    return {"Type": "AWS::ApiGatewayV2::Route",
            "Properties": {"ApiId": {"Ref": API}, "RouteKey": key, "Target": target, **auth}}


def _stage(app: App) -> dict[str, Any]:
    rate, burst = throttle(app)
    return {
        ACCESS_LOGS: {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Delete",
                      "Properties": {"LogGroupName": f"/aws/apigateway/{app.name}-{app.stage}",
                                     "RetentionInDays": 30}},
        STAGE: {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {
            "ApiId": {"Ref": API}, "StageName": "$default", "AutoDeploy": True,
            "DefaultRouteSettings": {"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst},
            "AccessLogSettings": {"DestinationArn": {"Fn::GetAtt": [ACCESS_LOGS, "Arn"]},
                                  "Format": ACCESS_LOG_FORMAT}}},
    }


def http_api_parts(app: App) -> Parts:
    """The HTTP API of ``app.routes`` (nothing unless tight.yml says ``api: http`` and there are routes)."""
    routes = sorted(app.routes, key=lambda r: (r.path, r.function))
    if app.api != "http" or not routes:
        return Parts()
    check(app)
    api = {"Type": "AWS::ApiGatewayV2::Api",
           "Properties": {"Name": f"{app.name}-{app.stage}", "ProtocolType": "HTTP",
                          "Description": f"{app.name} ({app.stage} stage), deployed by tight"}}
    parts = Parts({API: api, **_stage(app)})
    for function in sorted({r.function for r in routes}):
        parts.resources[logical_id("HttpIntegration", function)] = _integration(function)
        parts.resources[logical_id("HttpInvoke", function)] = api_permission(function, API)
    for route in routes:
        auth = method_auth(app, route.function, http=True)
        parts.resources[logical_id("HttpRoute", route.path, digest=True)] = _route(
            f"ANY {route.path}", route.function, auth)
        if auth["AuthorizationType"] != "NONE":
            parts.resources[logical_id("HttpOptions", route.path, digest=True)] = _route(
                f"OPTIONS {route.path}", route.function, {"AuthorizationType": "NONE"})
    parts.add(http_authorizers(app, API))
    parts.outputs["ApiUrl"] = {
        "Description": "Invoke URL of the HTTP API",
        "Value": {"Fn::Sub": f"https://${{{API}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/"},
    }
    return parts
