"""The REST API (API Gateway v1) part of the template: routes -> resources, methods, a deployment.

Every route of the shared route table (``tight.dev.routes``) becomes an
``ANY`` method with an ``AWS_PROXY`` integration on its resource path (one
``AWS::ApiGateway::Resource`` per path segment, shared between routes), authorized
as its function's ``auth`` says (:mod:`.authorizers`; a protected path also gets an
open ``OPTIONS`` method, so CORS preflights reach the function); a
function with routes gets the ``AWS::Lambda::Permission`` that lets the API
invoke it. The ``AWS::ApiGateway::Deployment``'s logical id carries a digest
of the API, so a change of routes makes a new deployment of the stage (a
deployment is otherwise never redone by CloudFormation). Pure: no I/O.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from .apistage import BINARY_MEDIA_TYPES, rest_stage
from .authorizers import check, method_auth, rest_authorizers
from .parts import PARTITION, App, Parts, TemplateError, api_permission, logical_id

API = "Api"
#: API Gateway's default quota of resources (paths) per REST API.
RESOURCE_QUOTA = 300
ROOT = {"Fn::GetAtt": [API, "RootResourceId"]}


def api_url(api_id: str, region: str, stage: str, endpoint: str | None = None) -> str:
    """The invoke URL of a REST API's stage (what the ``ApiUrl`` output says).

    ``endpoint``: a local stand-in for AWS (``AWS_ENDPOINT_URL``), which serves a stage at
    ``<endpoint>/restapis/<id>/<stage>/_user_request_/`` (LocalStack's path form).
    """
    if endpoint:
        return f"{endpoint.rstrip('/')}/restapis/{api_id}/{stage}/_user_request_/"
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://{api_id}.execute-api.{region}.{suffix}/{stage}/"


def _resources(paths: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``({logical id: resource}, {path: its ResourceId value})`` for every prefix of ``paths``."""
    resources: dict[str, Any] = {}
    ids: dict[str, Any] = {"/": ROOT}
    for path in paths:
        segments = [s for s in path.split("/") if s]
        for depth in range(1, len(segments) + 1):
            here = "/" + "/".join(segments[:depth])
            if here in ids:
                continue
            parent = "/" + "/".join(segments[:depth - 1])
            key = logical_id("ApiPath", here, digest=True)
            resources[key] = {"Type": "AWS::ApiGateway::Resource",
                              "Properties": {"RestApiId": {"Ref": API}, "ParentId": ids[parent],
                                             "PathPart": segments[depth - 1]}}
            ids[here] = {"Ref": key}
    return resources, ids


def _method(resource_id: Any, function: str, auth: dict[str, Any], method: str = "ANY") -> dict[str, Any]:
    uri = (f"{PARTITION}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/"
           f"${{{logical_id('Function', function)}.Arn}}/invocations")
    return {"Type": "AWS::ApiGateway::Method",
            "Properties": {"RestApiId": {"Ref": API}, "ResourceId": resource_id, "HttpMethod": method,
                           **auth,
                           "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST",
                                           "Uri": {"Fn::Sub": uri}}}}


def _methods(app: App, routes: list, ids: dict[str, Any]) -> dict[str, Any]:
    """``ANY`` per route with the function's auth; a protected route also gets an open ``OPTIONS``
    (browsers send CORS preflights without credentials: the function answers them)."""
    methods = {}
    for route in routes:
        auth = method_auth(app, route.function, http=False)
        methods[logical_id("ApiAny", route.path, digest=True)] = _method(ids[route.path], route.function, auth)
        if auth["AuthorizationType"] != "NONE":
            methods[logical_id("ApiOptions", route.path, digest=True)] = _method(
                ids[route.path], route.function, {"AuthorizationType": "NONE"}, "OPTIONS")
    return methods


def api_parts(app: App) -> Parts:
    """The REST API of ``app.routes`` (nothing when the app has no routes or asks for ``api: http``)."""
    routes = sorted(app.routes, key=lambda r: (r.path, r.function))
    if not routes or app.api != "rest":
        return Parts()
    check(app)
    resources, ids = _resources([r.path for r in routes])
    quota = int(app.deploy.get("api_resources") or RESOURCE_QUOTA)
    if len(resources) + 1 > quota:  # the root resource "/" counts too
        raise TemplateError(f"the REST API needs {len(resources) + 1} resources (one per path segment of "
                            f"{len(routes)} routes of {len({r.function for r in routes})} functions), over API "
                            f"Gateway's quota of {quota} per API: share path prefixes (e.g. one /api/{{proxy+}} "
                            "route), split the app, or have AWS raise the quota and set deploy.api_resources to it")
    methods = _methods(app, routes, ids)
    authorizers = rest_authorizers(app, API)
    api = {"Type": "AWS::ApiGateway::RestApi",
           "Properties": {"Name": f"{app.name}-{app.stage}",
                          "Description": f"{app.name} ({app.stage} stage), deployed by tight",
                          "EndpointConfiguration": {"Types": ["REGIONAL"]},
                          "BinaryMediaTypes": list(BINARY_MEDIA_TYPES)}}
    digest = hashlib.sha256(json.dumps([resources, methods, authorizers.resources],
                                       sort_keys=True).encode()).hexdigest()[:10]
    deployment = {"Type": "AWS::ApiGateway::Deployment", "DependsOn": sorted(methods),
                  "Properties": {"RestApiId": {"Ref": API}, "Description": f"routes {digest}"}}
    parts = Parts({API: api, **resources, **methods, f"ApiDeployment{digest}": deployment,
                   **rest_stage(app, API, f"ApiDeployment{digest}")}).add(authorizers)
    for function in sorted({r.function for r in routes}):
        parts.resources[logical_id("ApiInvoke", function)] = api_permission(function, API)
    parts.outputs["ApiUrl"] = {
        "Description": "Invoke URL of the REST API",
        "Value": {"Fn::Sub": f"https://${{{API}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{app.stage}/"},
    }
    return parts
