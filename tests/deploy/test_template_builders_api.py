"""Each API-side builder of deploy's template on its own (pure): authorizers, Function URLs, the HTTP API and
the REST API, called directly with small real-shaped apps; whole resources and exact refusals."""
from __future__ import annotations

import hashlib
import json
import re

import pytest

from tight.dev import auth
from tight.dev.auth import Rule
from tight.dev.routes import function_settings, routes
from tight_tasks.deploy import authorizers, function_urls, httpapi, restapi
from tight_tasks.deploy.parts import App, TemplateError

COGNITO = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf"
OKTA = "https://login.example.com/"
FUNCTIONS = "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
EXECUTE = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"


def make_app(functions: dict, api: str = "rest", issuer: str | None = None, default: str | None = None,
             deploy: dict | None = None, name: str = "shop", stage: str = "dev") -> App:
    """An app as deploy reads it from tight.yml's ``functions`` (and ``auth``) sections."""
    section = {key: value for key, value in (("default", default), ("jwt", issuer and
               {"issuer": issuer, "audience": ["web", "cli"]})) if value}
    config = {"api": api, "functions": functions, **({"auth": section} if section else {})}
    settings = function_settings(config, list(functions))
    return App(name=name, stage=stage, runtime="python3.12", architecture="arm64",
               environment={"NAME": name, "STAGE": stage}, tables=[], functions=settings,
               routes=routes(config, list(functions)), api=api, rules=auth.rules(config, settings),
               jwt=auth.jwt_settings(config), deploy=deploy or {})


def hand_made(functions: dict, rules: dict, jwt=None, api: str = "rest") -> App:
    """An app whose settings skip tight.yml's defaults (what a builder does on its own)."""
    return App(name="shop", stage="dev", runtime="python3.12", architecture="arm64", environment={}, tables=[],
               functions=functions, api=api, rules=rules, jwt=jwt)


def invoke_uri(function: str) -> dict:
    return {"Fn::Sub": f"{FUNCTIONS}${{Function{function}.Arn}}/invocations"}


def permission(function: str, source: str) -> dict:
    return {"Type": "AWS::Lambda::Permission", "Properties": {
        "Action": "lambda:InvokeFunction", "Principal": "apigateway.amazonaws.com",
        "FunctionName": {"Fn::GetAtt": [f"Function{function}", "Arn"]}, "SourceArn": {"Fn::Sub": EXECUTE + source}}}


# -- authorizers: check ------------------------------------------------------------------

def test_check_refuses_a_local_issuer_on_either_api():
    for api in ("rest", "http"):
        app = make_app({"orders": {}}, api, "http://localhost:8123", default="jwt")
        with pytest.raises(TemplateError) as error:
            authorizers.check(app)
        assert str(error.value) == (
            "auth.jwt.issuer http://localhost:8123 is a local http:// issuer: local.serve accepts it, "
            "API Gateway needs the https:// URL of a real OIDC issuer")


def test_check_refuses_a_non_cognito_issuer_on_a_rest_api_only():
    with pytest.raises(TemplateError) as error:
        authorizers.check(make_app({"orders": {"auth": "jwt"}}, "rest", OKTA))
    assert str(error.value) == (f"auth: jwt with issuer {OKTA} needs an HTTP API: a REST API checks only Cognito "
                                "user pool tokens; add `api: http` to tight.yml")
    authorizers.check(make_app({"orders": {"auth": "jwt"}}, "http", OKTA))
    authorizers.check(make_app({"orders": {"auth": "jwt"}}, "rest", COGNITO))


def test_check_passes_an_issuer_no_route_uses_and_jwt_rules_without_settings():
    authorizers.check(make_app({"orders": {"auth": "iam"}}, "rest", "http://localhost:8123"))
    authorizers.check(make_app({"orders": {"auth": "none"}}, "rest", OKTA))
    authorizers.check(hand_made({"orders": {}}, {"orders": Rule("jwt")}, jwt=None))


# -- authorizers: resources --------------------------------------------------------------

GATES = {"orders": {"auth": "gate"}, "admin": {"auth": "api_key"}, "report": {"auth": "gate"},
         "gate": {"type": "authorizer", "ttl": 60, "header": "X-Api-Key"},
         "api_key": {"type": "authorizer"}}


def test_used_authorizers_are_sorted_and_named_once():
    app = make_app(GATES)
    assert authorizers.used_authorizers(app) == ["api_key", "gate"]
    assert authorizers.authorizer_id("api_key") == "AuthorizerApiKey"
    assert authorizers.used_authorizers(make_app({"orders": {}, "gate": {"type": "authorizer"}})) == []


def test_rest_request_authorizers_with_their_header_ttl_and_own_permission():
    parts = authorizers.rest_authorizers(make_app(GATES), "Api")
    assert parts.resources == {
        "AuthorizerApiKey": {"Type": "AWS::ApiGateway::Authorizer", "Properties": {
            "Name": "api_key", "RestApiId": {"Ref": "Api"}, "Type": "REQUEST", "AuthorizerUri": invoke_uri("ApiKey"),
            "IdentitySource": "method.request.header.Authorization", "AuthorizerResultTtlInSeconds": 300}},
        "AuthInvokeApiKey": permission("ApiKey", "${Api}/authorizers/${AuthorizerApiKey}"),
        "AuthorizerGate": {"Type": "AWS::ApiGateway::Authorizer", "Properties": {
            "Name": "gate", "RestApiId": {"Ref": "Api"}, "Type": "REQUEST", "AuthorizerUri": invoke_uri("Gate"),
            "IdentitySource": "method.request.header.X-Api-Key", "AuthorizerResultTtlInSeconds": 60}},
        "AuthInvokeGate": permission("Gate", "${Api}/authorizers/${AuthorizerGate}"),
    }
    assert (parts.grants, parts.outputs) == ({}, {})


def test_http_request_authorizers_answer_simply_in_payload_two():
    parts = authorizers.http_authorizers(make_app(GATES, "http"), "HttpApi")
    assert parts.resources["AuthorizerGate"] == {"Type": "AWS::ApiGatewayV2::Authorizer", "Properties": {
        "Name": "gate", "ApiId": {"Ref": "HttpApi"}, "AuthorizerType": "REQUEST", "AuthorizerUri": invoke_uri("Gate"),
        "AuthorizerPayloadFormatVersion": "2.0", "EnableSimpleResponses": True,
        "IdentitySource": ["$request.header.X-Api-Key"], "AuthorizerResultTtlInSeconds": 60}}
    assert parts.resources["AuthInvokeGate"] == permission("Gate", "${HttpApi}/authorizers/${AuthorizerGate}")
    assert parts.resources["AuthorizerApiKey"]["Properties"]["IdentitySource"] == ["$request.header.Authorization"]
    assert parts.resources["AuthorizerApiKey"]["Properties"]["AuthorizerResultTtlInSeconds"] == 300
    assert sorted(parts.resources) == ["AuthInvokeApiKey", "AuthInvokeGate", "AuthorizerApiKey", "AuthorizerGate"]


@pytest.mark.parametrize("build", [authorizers.rest_authorizers, authorizers.http_authorizers])
@pytest.mark.parametrize(("settings", "header", "ttl"), [
    ({}, "Authorization", 300), ({"header": "", "ttl": 0}, "Authorization", 0),
    ({"header": "X-Token", "ttl": 3600}, "X-Token", 3600)])
def test_authorizers_default_to_the_authorization_header_cached_five_minutes(build, settings, header, ttl):
    app = hand_made({"gate": {"type": "authorizer", **settings}, "orders": {}}, {"orders": Rule("authorizer", "gate")})
    properties = build(app, "Api").resources["AuthorizerGate"]["Properties"]
    assert properties["AuthorizerResultTtlInSeconds"] == ttl
    source = properties["IdentitySource"]
    assert source in (f"method.request.header.{header}", [f"$request.header.{header}"])


def test_rest_jwt_becomes_a_cognito_user_pool_authorizer_of_the_issuers_region():
    parts = authorizers.rest_authorizers(make_app({"orders": {}}, "rest", COGNITO + "/", default="jwt"), "Api")
    assert parts.resources == {"JwtAuthorizer": {"Type": "AWS::ApiGateway::Authorizer", "Properties": {
        "Name": "jwt", "RestApiId": {"Ref": "Api"}, "Type": "COGNITO_USER_POOLS",
        "IdentitySource": "method.request.header.Authorization", "ProviderARNs": [
            {"Fn::Sub": "arn:${AWS::Partition}:cognito-idp:eu-west-1:${AWS::AccountId}:userpool/eu-west-1_AbCdEf"}]}}}


def test_http_jwt_authorizer_checks_issuer_and_every_audience():
    parts = authorizers.http_authorizers(make_app({"orders": {}}, "http", OKTA, default="jwt"), "HttpApi")
    assert parts.resources == {"JwtAuthorizer": {"Type": "AWS::ApiGatewayV2::Authorizer", "Properties": {
        "Name": "jwt", "ApiId": {"Ref": "HttpApi"}, "AuthorizerType": "JWT",
        "IdentitySource": ["$request.header.Authorization"],
        "JwtConfiguration": {"Issuer": OKTA, "Audience": ["web", "cli"]}}}}


@pytest.mark.parametrize("build", [authorizers.rest_authorizers, authorizers.http_authorizers])
def test_no_jwt_authorizer_unless_a_route_uses_jwt_and_jwt_is_set(build):
    unused = make_app({"orders": {"auth": "iam"}, "health": {}}, "rest", COGNITO)
    assert build(unused, "Api").resources == {}
    assert build(hand_made({"orders": {}}, {"orders": Rule("jwt")}, jwt=None), "Api").resources == {}


# -- authorizers: method_auth ------------------------------------------------------------

@pytest.mark.parametrize(("entry", "rest", "http"), [
    ({}, {"AuthorizationType": "NONE"}, {"AuthorizationType": "NONE"}),
    ({"auth": "iam"}, {"AuthorizationType": "AWS_IAM"}, {"AuthorizationType": "AWS_IAM"}),
    ({"auth": "gate"}, {"AuthorizationType": "CUSTOM", "AuthorizerId": {"Ref": "AuthorizerGate"}},
     {"AuthorizationType": "CUSTOM", "AuthorizerId": {"Ref": "AuthorizerGate"}}),
    ({"auth": "jwt"}, {"AuthorizationType": "COGNITO_USER_POOLS", "AuthorizerId": {"Ref": "JwtAuthorizer"}},
     {"AuthorizationType": "JWT", "AuthorizerId": {"Ref": "JwtAuthorizer"}}),
    ({"auth": "jwt", "scopes": ["orders/read", "orders/write"]},
     {"AuthorizationType": "COGNITO_USER_POOLS", "AuthorizerId": {"Ref": "JwtAuthorizer"},
      "AuthorizationScopes": ["orders/read", "orders/write"]},
     {"AuthorizationType": "JWT", "AuthorizerId": {"Ref": "JwtAuthorizer"},
      "AuthorizationScopes": ["orders/read", "orders/write"]}),
])
def test_method_auth_per_kind_on_both_apis(entry, rest, http):
    app = make_app({"orders": entry, "gate": {"type": "authorizer"}}, issuer=COGNITO)
    assert authorizers.method_auth(app, "orders", http=False) == rest
    assert authorizers.method_auth(app, "orders", http=True) == http


def test_method_auth_of_a_function_without_a_rule_is_open():
    app = hand_made({"orders": {}}, {})
    assert authorizers.method_auth(app, "orders", http=True) == {"AuthorizationType": "NONE"}


# -- function URLs -----------------------------------------------------------------------

def test_function_urls_public_iam_and_none():
    app = make_app({"hook": {"url": "public"}, "role": {"url": "iam"}, "api": {}})
    arn = {"Fn::GetAtt": ["FunctionHook", "Arn"]}
    assert function_urls.function_urls_family(app).resources == {
        "LambdaUrlHook": {"Type": "AWS::Lambda::Url", "Properties": {"TargetFunctionArn": arn, "AuthType": "NONE"}},
        "UrlPublicHook": {"Type": "AWS::Lambda::Permission", "Properties": {
            "Action": "lambda:InvokeFunctionUrl", "Principal": "*", "FunctionUrlAuthType": "NONE",
            "FunctionName": arn}},
        "UrlInvokeHook": {"Type": "AWS::Lambda::Permission", "Properties": {
            "Action": "lambda:InvokeFunction", "Principal": "*", "InvokedViaFunctionUrl": True, "FunctionName": arn}},
        "LambdaUrlRole": {"Type": "AWS::Lambda::Url", "Properties": {
            "TargetFunctionArn": {"Fn::GetAtt": ["FunctionRole", "Arn"]}, "AuthType": "AWS_IAM"}},
    }
    assert function_urls.function_urls_family(make_app({"api": {}})).resources == {}


# -- HTTP API ----------------------------------------------------------------------------

def test_http_api_urls_per_partition():
    assert httpapi.api_url("a1b2c3", "eu-west-1") == "https://a1b2c3.execute-api.eu-west-1.amazonaws.com/"
    assert httpapi.api_url("a1b2c3", "cn-north-1") == "https://a1b2c3.execute-api.cn-north-1.amazonaws.com.cn/"


def test_http_api_is_made_only_for_api_http_with_routes():
    assert httpapi.http_api_parts(make_app({"orders": {}}, "rest")).resources == {}
    assert httpapi.http_api_parts(make_app({"job": {"type": "sqs"}}, "http")).resources == {}
    with pytest.raises(TemplateError, match="^auth.jwt.issuer http://localhost:8123 is a local"):
        httpapi.http_api_parts(make_app({"orders": {}}, "http", "http://localhost:8123", default="jwt"))


def digest_id(kind: str, camel: str, path: str) -> str:
    return kind + camel + hashlib.sha256(path.encode()).hexdigest()[:8]


def http_route(key: str, function: str, **auth) -> dict:
    return {"Type": "AWS::ApiGatewayV2::Route", "Properties": {
        "ApiId": {"Ref": "HttpApi"}, "RouteKey": key, "Target": {"Fn::Sub": f"integrations/${{HttpIntegration{function}}}"},
        "AuthorizationType": "NONE", **auth}}


ACCESS_LOG = ('{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","time":"$context.requestTime",'
              '"method":"$context.httpMethod","path":"$context.path","routeKey":"$context.routeKey",'
              '"status":"$context.status","latency":"$context.responseLatency",'
              '"integrationError":"$context.integrationErrorMessage","authorizerError":"$context.authorizer.error"}')


@pytest.mark.parametrize("route, field", [({"routeKey": "$context.routeKey"}, '"routeKey":"$context.routeKey"'),
                                          ({"resource": "$context.resourcePath"}, '"resource":"$context.resourcePath"')])
def test_the_access_log_format_is_one_compact_json_line_with_the_api_types_route(route, field):
    """Built here, not read from the module's constants (made at import, before a mutant is switched on)."""
    from tight_tasks.deploy.apistage import access_log_format

    assert access_log_format(route) == ACCESS_LOG.replace('"routeKey":"$context.routeKey"', field)


def test_http_api_of_one_open_function_on_its_default_paths():
    parts = httpapi.http_api_parts(make_app({"orders": {}, "job": {"type": "sqs"}}, "http", name="café-shop"))
    assert parts.resources == {
        "HttpApi": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {
            "Name": "café-shop-dev", "ProtocolType": "HTTP", "Description": "café-shop (dev stage), deployed by tight"}},
        "HttpApiAccessLogs": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Delete", "Properties": {
            "LogGroupName": "/aws/apigateway/café-shop-dev", "RetentionInDays": 30}},
        "HttpApiStage": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {
            "ApiId": {"Ref": "HttpApi"}, "StageName": "$default", "AutoDeploy": True,
            "DefaultRouteSettings": {"ThrottlingRateLimit": 100.0, "ThrottlingBurstLimit": 200},
            "AccessLogSettings": {"DestinationArn": {"Fn::GetAtt": ["HttpApiAccessLogs", "Arn"]}, "Format": ACCESS_LOG}}},
        "HttpIntegrationOrders": {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {
            "ApiId": {"Ref": "HttpApi"}, "IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0",
            "IntegrationUri": {"Fn::GetAtt": ["FunctionOrders", "Arn"]}}},
        "HttpInvokeOrders": permission("Orders", "${HttpApi}/*"),
        digest_id("HttpRoute", "Orders", "/orders"): http_route("ANY /orders", "Orders"),
        digest_id("HttpRoute", "OrdersProxy", "/orders/{proxy+}"): http_route("ANY /orders/{proxy+}", "Orders"),
    }
    assert parts.outputs == {"ApiUrl": {"Description": "Invoke URL of the HTTP API", "Value": {
        "Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/"}}}
    assert parts.grants == {}


def test_http_protected_routes_get_an_open_options_route_and_their_authorizers():
    app = make_app({"role": {"auth": "iam", "path": ["/admin/{id}", "/admin"]}, "api": {"auth": "gate", "path": "/v1"},
                    "health": {"path": "/"}, "gate": {"type": "authorizer"}}, "http")
    resources = httpapi.http_api_parts(app).resources
    routes_ = {v["Properties"]["RouteKey"]: (k, v) for k, v in resources.items() if v["Type"].endswith("::Route")}
    assert sorted(routes_) == ["ANY /", "ANY /admin", "ANY /admin/{id}", "ANY /v1",
                               "OPTIONS /admin", "OPTIONS /admin/{id}", "OPTIONS /v1"]
    assert routes_["ANY /admin/{id}"] == (digest_id("HttpRoute", "AdminId", "/admin/{id}"),
                                          http_route("ANY /admin/{id}", "Role", AuthorizationType="AWS_IAM"))
    assert routes_["OPTIONS /admin/{id}"] == (digest_id("HttpOptions", "AdminId", "/admin/{id}"),
                                              http_route("OPTIONS /admin/{id}", "Role"))
    assert routes_["ANY /v1"][1] == http_route("ANY /v1", "Api", AuthorizationType="CUSTOM",
                                               AuthorizerId={"Ref": "AuthorizerGate"})
    assert routes_["ANY /"] == (digest_id("HttpRoute", "", "/"), http_route("ANY /", "Health"))
    assert resources["AuthorizerGate"]["Type"] == "AWS::ApiGatewayV2::Authorizer"
    assert resources["AuthInvokeGate"] == permission("Gate", "${HttpApi}/authorizers/${AuthorizerGate}")
    assert sorted(k for k in resources if k.startswith(("HttpInvoke", "HttpIntegration"))) == [
        "HttpIntegrationApi", "HttpIntegrationHealth", "HttpIntegrationRole",
        "HttpInvokeApi", "HttpInvokeHealth", "HttpInvokeRole"]


@pytest.mark.parametrize(("throttle", "rate", "burst"), [
    ({"rate": 50}, 50.0, 200), ({"burst": 1}, 100.0, 1), ({"rate": 0.5, "burst": 10}, 0.5, 10), (None, 100.0, 200)])
def test_http_default_stage_throttling(throttle, rate, burst):
    app = make_app({"orders": {}}, "http", deploy={"throttle": throttle})
    stage = httpapi.http_api_parts(app).resources["HttpApiStage"]["Properties"]
    assert stage["DefaultRouteSettings"] == {"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}
    assert type(stage["DefaultRouteSettings"]["ThrottlingRateLimit"]) is float


@pytest.mark.parametrize(("throttle", "message"), [
    ({"rate": 0}, "deploy.throttle.rate must be a positive number of requests per second, got 0"),
    ({"rate": True}, "deploy.throttle.rate must be a positive number of requests per second, got True"),
    ({"burst": 0}, "deploy.throttle.burst must be a whole number of requests from 1, got 0"),
    ({"burst": 2.5}, "deploy.throttle.burst must be a whole number of requests from 1, got 2.5"),
    ({"burst": False}, "deploy.throttle.burst must be a whole number of requests from 1, got False"),
    ({"rps": 5}, "deploy.throttle must be a mapping of rate and burst (e.g. {rate: 50, burst: 100}), got {'rps': 5}"),
    ([50], "deploy.throttle must be a mapping of rate and burst (e.g. {rate: 50, burst: 100}), got [50]"),
])
def test_http_stage_refuses_bad_throttles(throttle, message):
    with pytest.raises(TemplateError) as error:
        httpapi.http_api_parts(make_app({"orders": {}}, "http", deploy={"throttle": throttle}))
    assert str(error.value) == message


def test_http_jwt_routes_carry_scopes_and_the_jwt_authorizer():
    app = make_app({"orders": {"scopes": "orders/read", "path": "/orders"}}, "http", OKTA, default="jwt")
    resources = httpapi.http_api_parts(app).resources
    assert resources[digest_id("HttpRoute", "Orders", "/orders")] == http_route(
        "ANY /orders", "Orders", AuthorizationType="JWT", AuthorizerId={"Ref": "JwtAuthorizer"},
        AuthorizationScopes=["orders/read"])
    assert resources["JwtAuthorizer"]["Properties"]["JwtConfiguration"] == {"Issuer": OKTA, "Audience": ["web", "cli"]}


# -- REST API ----------------------------------------------------------------------------

def test_rest_api_urls_on_aws_and_on_a_local_stand_in():
    assert restapi.api_url("a1b2c3", "eu-west-1", "dev") == "https://a1b2c3.execute-api.eu-west-1.amazonaws.com/dev/"
    assert restapi.api_url("a1b2c3", "cn-north-1", "prod") == \
        "https://a1b2c3.execute-api.cn-north-1.amazonaws.com.cn/prod/"
    assert restapi.api_url("a1b2c3", "us-east-1", "dev", "http://127.0.0.1:5000/") == \
        "http://127.0.0.1:5000/restapis/a1b2c3/dev/_user_request_/"
    assert restapi.api_url("a1b2c3", "us-east-1", "dev", "http://SANDBOX") == \
        "http://SANDBOX/restapis/a1b2c3/dev/_user_request_/"


def method(resource: str, function: str, verb: str = "ANY", **auth) -> dict:
    return {"Type": "AWS::ApiGateway::Method", "Properties": {
        "RestApiId": {"Ref": "Api"}, "ResourceId": {"Ref": resource}, "HttpMethod": verb,
        "AuthorizationType": "NONE", **auth, "Integration": {
            "Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Uri": invoke_uri(function)}}}


def path_resource(parent, part: str) -> dict:
    return {"Type": "AWS::ApiGateway::Resource", "Properties": {
        "RestApiId": {"Ref": "Api"}, "ParentId": parent, "PathPart": part}}


REST_LOG = ACCESS_LOG.replace('"routeKey":"$context.routeKey"', '"resource":"$context.resourcePath"')


def test_rest_api_shares_path_segments_and_protects_with_an_open_options():
    app = make_app({"orders": {"path": "/v1/orders"}, "role": {"auth": "iam", "path": "/v1/admin/{id}"}},
                   stage="prod")
    parts = restapi.api_parts(app)
    v1, admin = digest_id("ApiPath", "V1", "/v1"), digest_id("ApiPath", "V1Admin", "/v1/admin")
    item, orders = digest_id("ApiPath", "V1AdminId", "/v1/admin/{id}"), digest_id("ApiPath", "V1Orders", "/v1/orders")
    resources = {v1: path_resource({"Fn::GetAtt": ["Api", "RootResourceId"]}, "v1"),
                 admin: path_resource({"Ref": v1}, "admin"), item: path_resource({"Ref": admin}, "{id}"),
                 orders: path_resource({"Ref": v1}, "orders")}
    methods = {digest_id("ApiAny", "V1AdminId", "/v1/admin/{id}"): method(item, "Role", AuthorizationType="AWS_IAM"),
               digest_id("ApiOptions", "V1AdminId", "/v1/admin/{id}"): method(item, "Role", "OPTIONS"),
               digest_id("ApiAny", "V1Orders", "/v1/orders"): method(orders, "Orders")}
    digest = hashlib.sha256(json.dumps([resources, methods, {}], sort_keys=True).encode()).hexdigest()[:10]
    deployment = f"ApiDeployment{digest}"
    assert parts.resources == {
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {
            "Name": "shop-prod", "Description": "shop (prod stage), deployed by tight",
            "EndpointConfiguration": {"Types": ["REGIONAL"]}, "BinaryMediaTypes": ["*/*"]}},
        **resources, **methods,
        deployment: {"Type": "AWS::ApiGateway::Deployment", "DependsOn": sorted(methods), "Properties": {
            "RestApiId": {"Ref": "Api"}, "Description": f"routes {digest}"}},
        "ApiAccessLogs": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                          "Properties": {"RetentionInDays": 90}},
        "ApiStage": {"Type": "AWS::ApiGateway::Stage", "Properties": {
            "RestApiId": {"Ref": "Api"}, "DeploymentId": {"Ref": deployment}, "StageName": "prod",
            "Description": "shop (prod stage), deployed by tight",
            "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": 100.0,
                                "ThrottlingBurstLimit": 200}],
            "AccessLogSetting": {"DestinationArn": {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}, "Format": REST_LOG}}},
        "ApiInvokeOrders": permission("Orders", "${Api}/*"), "ApiInvokeRole": permission("Role", "${Api}/*"),
    }
    assert parts.outputs == {"ApiUrl": {"Description": "Invoke URL of the REST API", "Value": {
        "Fn::Sub": "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/prod/"}}}
    assert parts.grants == {}


def deployment_of(app: App) -> str:
    return next(key for key in restapi.api_parts(app).resources if key.startswith("ApiDeployment"))


def test_rest_deployment_is_renamed_when_routes_or_authorizers_change():
    functions = {"orders": {"auth": "gate"}, "gate": {"type": "authorizer", "ttl": 60}}
    first = deployment_of(make_app(functions))
    assert re.fullmatch(r"ApiDeployment[0-9a-f]{10}", first)
    assert deployment_of(make_app(functions)) == first
    assert deployment_of(make_app({**functions, "gate": {"type": "authorizer", "ttl": 61}})) != first
    assert deployment_of(make_app({**functions, "orders": {"auth": "gate", "path": "/orders"}})) != first


def test_rest_root_path_custom_authorizer_and_default_paths():
    app = make_app({"home": {"path": "/", "auth": "gate"}, "orders": {}, "gate": {"type": "authorizer"}})
    parts = restapi.api_parts(app)
    root = {"Fn::GetAtt": ["Api", "RootResourceId"]}
    home = parts.resources[digest_id("ApiAny", "", "/")]["Properties"]
    assert (home["ResourceId"], home["AuthorizationType"], home["AuthorizerId"]) == (
        root, "CUSTOM", {"Ref": "AuthorizerGate"})
    assert parts.resources[digest_id("ApiOptions", "", "/")]["Properties"]["ResourceId"] == root
    proxy = digest_id("ApiPath", "OrdersProxy", "/orders/{proxy+}")
    assert parts.resources[proxy] == path_resource({"Ref": digest_id("ApiPath", "Orders", "/orders")}, "{proxy+}")
    assert parts.resources[digest_id("ApiAny", "OrdersProxy", "/orders/{proxy+}")] == method(proxy, "Orders")
    assert parts.resources["AuthInvokeGate"] == permission("Gate", "${Api}/authorizers/${AuthorizerGate}")
    assert "ApiInvokeGate" not in parts.resources


def test_rest_api_is_made_only_for_api_rest_with_routes():
    assert restapi.api_parts(make_app({"orders": {}}, "http")).resources == {}
    assert restapi.api_parts(make_app({"job": {"type": "sqs"}})).resources == {}
    with pytest.raises(TemplateError, match="^auth: jwt with issuer https://login.example.com/ needs an HTTP API"):
        restapi.api_parts(make_app({"orders": {}}, "rest", OKTA, default="jwt"))


@pytest.mark.parametrize(("paths", "quota", "needed"), [(299, None, None), (300, None, 301), (4, 5, None), (5, 5, 6)])
def test_rest_api_resources_quota_counts_the_root(paths, quota, needed):
    app = make_app({"orders": {"path": [f"/p{i}" for i in range(paths)]}}, deploy={"api_resources": quota})
    if needed is None:
        assert sum(r["Type"] == "AWS::ApiGateway::Resource" for r in restapi.api_parts(app).resources.values()) == paths
        return
    with pytest.raises(TemplateError) as error:
        restapi.api_parts(app)
    assert str(error.value) == (
        f"the REST API needs {needed} resources (one per path segment of {paths} routes of 1 functions), over API "
        f"Gateway's quota of {quota or 300} per API: share path prefixes (e.g. one /api/{{proxy+}} route), split "
        "the app, or have AWS raise the quota and set deploy.api_resources to it")


@pytest.mark.parametrize(("throttle", "rate", "burst"), [({"rate": 5, "burst": 7}, 5.0, 7), ({}, 100.0, 200)])
def test_rest_stage_throttles_every_method(throttle, rate, burst):
    stage = restapi.api_parts(make_app({"orders": {}}, deploy={"throttle": throttle})).resources["ApiStage"]
    assert stage["Properties"]["MethodSettings"] == [
        {"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}]
