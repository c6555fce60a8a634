"""The REST API's stage (pure): an explicit ``AWS::ApiGateway::Stage`` with throttling, JSON access logs in
a retained log group, and the API's binary media types.

``deploy.throttle: {rate, burst}`` sets the steady requests per second and the burst every method of the
stage allows (callers above it get 429); the HTTP API's ``$default`` stage uses the same numbers.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .parts import App, TemplateError

STAGE, ACCESS_LOGS = "ApiStage", "ApiAccessLogs"
THROTTLE = {"rate": 100, "burst": 200}
#: Days the access logs are kept (the group itself outlives the stack: DeletionPolicy Retain).
ACCESS_LOG_DAYS = 90
#: Every type is binary to API Gateway: bytes a handler returns (``isBase64Encoded``) reach the client as
#: bytes whatever it accepts; request bodies arrive base64-encoded and the runtime decodes them.
BINARY_MEDIA_TYPES = ["*/*"]


def access_log_format(route: dict[str, str]) -> str:
    """One JSON line per request: who, what (``route``: the API type's own route variable), how long, and
    what failed (authorizer or integration)."""
    return json.dumps({
        "requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "time": "$context.requestTime",
        "method": "$context.httpMethod", "path": "$context.path", **route,
        "status": "$context.status", "latency": "$context.responseLatency",
        "integrationError": "$context.integrationErrorMessage", "authorizerError": "$context.authorizer.error",
    }, separators=(",", ":"))


ACCESS_LOG_FORMAT = access_log_format({"resource": "$context.resourcePath"})


def throttle(app: App) -> tuple[float, int]:
    """``(rate, burst)`` of ``deploy.throttle`` (defaults 100 and 200)."""
    given = app.deploy.get("throttle") or {}
    if not isinstance(given, Mapping) or set(given) - set(THROTTLE):
        raise TemplateError(f"deploy.throttle must be a mapping of rate and burst (e.g. {{rate: 50, burst: 100}}), "
                            f"got {given!r}")
    values = {**THROTTLE, **given}
    rate, burst = values["rate"], values["burst"]
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate <= 0:
        raise TemplateError(f"deploy.throttle.rate must be a positive number of requests per second, got {rate!r}")
    if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
        raise TemplateError(f"deploy.throttle.burst must be a whole number of requests from 1, got {burst!r}")
    return float(rate), burst


def rest_stage(app: App, api: str, deployment: str) -> dict[str, Any]:
    """The stage ``app.stage`` of REST API ``api`` on ``deployment``, and its access log group."""
    rate, burst = throttle(app)
    return {
        ACCESS_LOGS: {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                      "Properties": {"RetentionInDays": ACCESS_LOG_DAYS}},
        STAGE: {"Type": "AWS::ApiGateway::Stage", "Properties": {
            "RestApiId": {"Ref": api}, "DeploymentId": {"Ref": deployment}, "StageName": app.stage,
            "Description": f"{app.name} ({app.stage} stage), deployed by tight",
            "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": rate,
                                "ThrottlingBurstLimit": burst}],
            "AccessLogSetting": {"DestinationArn": {"Fn::GetAtt": [ACCESS_LOGS, "Arn"]},
                                 "Format": ACCESS_LOG_FORMAT}}},
    }
