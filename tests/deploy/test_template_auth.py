"""Who may call the API, in the template: REST and HTTP APIs with every auth kind, Function URLs; cfn-lint."""
from __future__ import annotations

import pytest
from deploy_support import cfn_lint

from tight.dev import auth
from tight.dev.routes import function_settings, routes
from tight_tasks.deploy.template import App, TemplateError, build, render

COGNITO = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf"
NAMES = ("health", "orders", "admin", "signed", "gate", "cafe_bar", "hook")


def make_app(api: str, issuer: str = COGNITO, **functions) -> App:
    config = {"api": api, "auth": {"default": "jwt", "jwt": {"issuer": issuer, "audience": ["web", "cli"]}},
              "functions": {"health": {"auth": "none"}, "orders": {"auth": "jwt", "scopes": ["orders/read"]},
                            "admin": {"auth": "gate", "path": ["/admin", "/admin/{id}"]}, "signed": {"auth": "iam"},
                            "gate": {"type": "authorizer", "ttl": 60, "header": "X-Api-Key"},
                            "cafe_bar": {"auth": "none", "url": "public"}, "hook": {"auth": "none", "url": "iam"}, **functions}}
    settings = function_settings(config, NAMES)
    return App(name="shop", stage="dev", runtime="python3.12", architecture="arm64",
               environment={"NAME": "shop", "STAGE": "dev"}, tables=[], functions=settings,
               routes=routes(config, NAMES), api=auth.api_type(config), rules=auth.rules(config, settings),
               jwt=auth.jwt_settings(config))


def of_type(template: dict, kind: str) -> dict:
    return {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == kind}


@pytest.fixture(scope="module")
def rest():
    return build(make_app("rest"))


@pytest.fixture(scope="module")
def http():
    return build(make_app("http", "https://login.example.com/"))


def test_rest_methods_are_authorized_as_each_function_says(rest):
    methods = of_type(rest, "AWS::ApiGateway::Method")
    by_path = {}
    for props in methods.values():
        resource = props["ResourceId"]
        by_path.setdefault(str(resource), []).append(props)
    kinds = sorted((p["HttpMethod"], p["AuthorizationType"], str(p.get("AuthorizerId")), str(p.get("AuthorizationScopes")))
                   for p in methods.values())
    assert ("ANY", "COGNITO_USER_POOLS", "{'Ref': 'JwtAuthorizer'}", "['orders/read']") in kinds
    assert ("ANY", "CUSTOM", "{'Ref': 'AuthorizerGate'}", "None") in kinds
    assert ("ANY", "AWS_IAM", "None", "None") in kinds
    anys = [p for p in methods.values() if p["HttpMethod"] == "ANY"]
    options = [p for p in methods.values() if p["HttpMethod"] == "OPTIONS"]
    # café and health: open; every protected path has an open OPTIONS for CORS preflights
    assert len(options) == len([p for p in anys if p["AuthorizationType"] != "NONE"])
    assert all(p["AuthorizationType"] == "NONE" for p in options)


def test_rest_authorizers(rest):
    authorizers = of_type(rest, "AWS::ApiGateway::Authorizer")
    assert authorizers["AuthorizerGate"]["Type"] == "REQUEST"
    assert authorizers["AuthorizerGate"]["IdentitySource"] == "method.request.header.X-Api-Key"
    assert authorizers["AuthorizerGate"]["AuthorizerResultTtlInSeconds"] == 60
    assert authorizers["JwtAuthorizer"]["Type"] == "COGNITO_USER_POOLS"
    assert authorizers["JwtAuthorizer"]["ProviderARNs"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:cognito-idp:eu-west-1:${AWS::AccountId}:userpool/eu-west-1_AbCdEf"}]
    permission = rest["Resources"]["AuthInvokeGate"]["Properties"]
    assert permission["FunctionName"] == {"Fn::Sub": "${FunctionGate.Arn}:live"}  # its alias
    assert permission["SourceArn"]["Fn::Sub"].endswith(":${Api}/authorizers/${AuthorizerGate}")
    assert not of_type(rest, "AWS::ApiGatewayV2::Api")


def test_http_api_has_no_rest_resources_and_payload_2(http):
    assert not [k for k, v in http["Resources"].items() if v["Type"].startswith("AWS::ApiGateway::")]
    assert of_type(http, "AWS::ApiGatewayV2::Api")["HttpApi"]["ProtocolType"] == "HTTP"
    integrations = of_type(http, "AWS::ApiGatewayV2::Integration")
    assert {i["PayloadFormatVersion"] for i in integrations.values()} == {"2.0"}
    assert {i["IntegrationType"] for i in integrations.values()} == {"AWS_PROXY"}
    stage = of_type(http, "AWS::ApiGatewayV2::Stage")["HttpApiStage"]
    assert (stage["StageName"], stage["AutoDeploy"]) == ("$default", True)
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
    assert stage["AccessLogSettings"]["DestinationArn"] == {"Fn::GetAtt": ["HttpApiAccessLogs", "Arn"]}
    for permission in of_type(http, "AWS::Lambda::Permission").values():
        if permission["Principal"] == "apigateway.amazonaws.com":
            assert ":${HttpApi}/" in permission["SourceArn"]["Fn::Sub"]


def test_http_routes_and_authorizers(http):
    routes_ = {r["RouteKey"]: r for r in of_type(http, "AWS::ApiGatewayV2::Route").values()}
    assert routes_["ANY /orders"]["AuthorizationType"] == "JWT"
    assert routes_["ANY /orders"]["AuthorizationScopes"] == ["orders/read"]
    assert routes_["ANY /orders/{proxy+}"]["AuthorizerId"] == {"Ref": "JwtAuthorizer"}
    assert (routes_["ANY /admin/{id}"]["AuthorizationType"], routes_["ANY /admin/{id}"]["AuthorizerId"]) == (
        "CUSTOM", {"Ref": "AuthorizerGate"})
    assert routes_["ANY /signed"]["AuthorizationType"] == "AWS_IAM"
    assert routes_["ANY /health"]["AuthorizationType"] == "NONE"
    assert routes_["OPTIONS /orders"]["AuthorizationType"] == "NONE"
    assert "OPTIONS /health" not in routes_
    authorizers = of_type(http, "AWS::ApiGatewayV2::Authorizer")
    assert authorizers["JwtAuthorizer"]["JwtConfiguration"] == {"Issuer": "https://login.example.com/",
                                                                "Audience": ["web", "cli"]}
    gate = authorizers["AuthorizerGate"]
    assert (gate["AuthorizerType"], gate["EnableSimpleResponses"], gate["AuthorizerPayloadFormatVersion"],
            gate["IdentitySource"], gate["AuthorizerResultTtlInSeconds"]) == (
        "REQUEST", True, "2.0", ["$request.header.X-Api-Key"], 60)


def test_function_urls(http):
    urls = of_type(http, "AWS::Lambda::Url")
    assert urls["LambdaUrlCafeBar"]["AuthType"] == "NONE" and urls["LambdaUrlHook"]["AuthType"] == "AWS_IAM"
    public = [p for p in of_type(http, "AWS::Lambda::Permission").values() if p["Principal"] == "*"]
    assert sorted(p["Action"] for p in public) == ["lambda:InvokeFunction", "lambda:InvokeFunctionUrl"]
    assert all(p["FunctionName"] == {"Fn::Sub": "${FunctionCafeBar.Arn}:live"} for p in public)
    assert urls["LambdaUrlCafeBar"]["Qualifier"] == "live"


@pytest.mark.parametrize("api", ["rest", "http"])
def test_templates_pass_cfn_lint(api, tmp_path, rest, http):
    path = tmp_path / f"{api}.yml"
    path.write_text(render(rest if api == "rest" else http))
    result = cfn_lint(path)
    errors = [line for line in result.stdout.splitlines() if ":E" in line]
    assert not errors, result.stdout


@pytest.mark.parametrize("api, issuer, words", [
    ("rest", "https://login.example.com/", "a REST API checks only Cognito user pool tokens; add `api: http`"),
    ("http", "http://localhost:8080", "is a local http:// issuer"),
    ("rest", "http://127.0.0.1:9", "is a local http:// issuer"),
])
def test_refusals(api, issuer, words):
    with pytest.raises(TemplateError) as caught:
        build(make_app(api, issuer))
    assert words in str(caught.value)
