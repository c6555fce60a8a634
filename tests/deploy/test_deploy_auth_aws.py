"""`tight deploy` of a REST API with a Lambda authorizer, IAM and a Function URL, on moto's server.

moto creates the methods but skips ``AWS::ApiGateway::Authorizer`` and ``AWS::Lambda::Url``
(DESIGN.md): those are checked in the template (test_template_auth.py); here the stack must
still deploy, the methods carry their authorization, the authorizer's permission exists, and
the deployed authorizer code answers as API Gateway expects.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import listed, run_tight
from deploy_support import run_deployed

from tight.dev import sample_events
from tight_tasks._pip.vendordir import copy_runtime

STACK = "gated-test"
FUNCTIONS = """\
functions:
  orders:
    auth: gate
  signed:
    auth: iam
  hook:
    url: public
"""


@pytest.fixture(scope="module")
def gated_app(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("gateddeploy")
    assert run_tight("generate.app", "gated", cwd=base).returncode == 0
    root = base / "gated"
    for command in (["generate.function", "gate", "--type", "authorizer"], ["generate.function", "orders"],
                    ["generate.function", "signed"], ["generate.function", "hook"]):
        result = run_tight(*command, cwd=root)
        assert result.returncode == 0, result.stdout + result.stderr
    (root / "requirements-vendor.txt").write_text("# nothing to vendor: generate.artifact would refuse it\n")
    copy_runtime(root / "app" / "vendored")  # what `tight pip.install` vendors of tight: the zip must run alone
    (root / "env.test.yml").write_text("AUTH_TOKEN: s3cret\n")  # the generated authorizer's expected token
    text = (root / "tight.yml").read_text()
    (root / "tight.yml").write_text(text.replace("functions:\n", FUNCTIONS, 1))
    return root


@pytest.fixture(scope="module")
def deployed_gated(gated_app, tight_aws):
    result = tight_aws("deploy", "--stage", "test", "--yes", cwd=gated_app)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_methods_carry_their_authorization(deployed_gated, aws):
    assert aws("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    gateway = aws("apigateway")
    api = next(a for a in listed(gateway, "get_rest_apis", "items") if a["name"] == STACK)
    kinds = {}
    for resource in gateway.get_resources(restApiId=api["id"])["items"]:
        for method in resource.get("resourceMethods") or {}:
            found = gateway.get_method(restApiId=api["id"], resourceId=resource["id"], httpMethod=method)
            kinds[(resource["path"], method)] = found["authorizationType"]
    assert kinds[("/orders", "ANY")] == kinds[("/orders/{proxy+}", "ANY")] == "CUSTOM"
    assert kinds[("/orders", "OPTIONS")] == "NONE"
    assert kinds[("/signed", "ANY")] == "AWS_IAM"
    assert kinds[("/hook", "ANY")] == "NONE" and ("/hook", "OPTIONS") not in kinds


def test_api_gateway_may_invoke_the_authorizer(deployed_gated, aws):
    policy = json.loads(aws("lambda").get_policy(FunctionName=f"{STACK}-gate")["Policy"])
    arns = [s["Condition"]["ArnLike"]["AWS:SourceArn"] for s in policy["Statement"]]
    assert len(arns) == 1 and "/authorizers/" in arns[0]


def test_deployed_authorizer_answers_with_a_stage_wide_policy(deployed_gated, aws, moto_endpoint, lambda_python,
                                                             tmp_path):
    event = sample_events.authorizer("Bearer s3cret", stage="test")
    result = run_deployed(aws, moto_endpoint, STACK, f"{STACK}-gate", event, lambda_python("3.12"), tmp_path)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["principalId"] == "api-client"
    assert answer["policyDocument"]["Statement"][0] == {
        "Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"].rsplit("/", 2)[0] + "/*"}
    denied = run_deployed(aws, moto_endpoint, STACK, f"{STACK}-gate", sample_events.authorizer("Bearer guess"),
                          lambda_python("3.12"), tmp_path)
    assert json.loads(denied.stdout.strip().splitlines()[-1])["policyDocument"]["Statement"][0]["Effect"] == "Deny"


def test_function_url_is_printed_once_it_exists(deployed_gated, gated_app, aws, tight_aws):
    assert "URL of hook (public): none found (not created)" in deployed_gated.stdout  # moto skips AWS::Lambda::Url
    made = aws("lambda").create_function_url_config(FunctionName=f"{STACK}-hook", AuthType="NONE")
    try:
        again = tight_aws("deploy", "--stage", "test", "--yes", cwd=gated_app)
        assert again.returncode == 0, again.stderr
        assert f"URL of hook (public): {made['FunctionUrl']}" in again.stdout
    finally:
        aws("lambda").delete_function_url_config(FunctionName=f"{STACK}-hook")


def test_an_http_api_stack_deploys_on_moto(gated_app, aws, tight_aws, tmp_path):
    """moto skips every ApiGatewayV2 type: the stack must still come up, with its functions and no REST API."""
    import shutil

    root = Path(shutil.copytree(gated_app, tmp_path / "gated", ignore=shutil.ignore_patterns("builds")))
    text = (root / "tight.yml").read_text()
    (root / "tight.yml").write_text(text + "api: http\nauth:\n  jwt:\n    issuer: https://login.example.com/\n"
                                           "    audience: [web]\n")
    (root / "tight.yml").write_text((root / "tight.yml").read_text().replace("  signed:\n    auth: iam\n",
                                                                           "  signed:\n    auth: jwt\n"))
    result = tight_aws("deploy", "--stage", "http", "--yes", cwd=root)
    try:
        assert result.returncode == 0, result.stdout + result.stderr
        stack = aws("cloudformation").describe_stacks(StackName="gated-http")["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        assert aws("lambda").get_function(FunctionName="gated-http-orders")["Configuration"]["Handler"] == \
            "app_index.orders"
        assert not [a for a in listed(aws("apigateway"), "get_rest_apis", "items") if a["name"] == "gated-http"]
    finally:
        tight_aws("deploy.delete", "--stage", "http", "--yes", cwd=root)


def test_a_rest_api_with_a_cognito_authorizer_deploys_on_moto(gated_app, aws, tight_aws, tmp_path):
    import shutil

    root = Path(shutil.copytree(gated_app, tmp_path / "gated", ignore=shutil.ignore_patterns("builds")))
    text = (root / "tight.yml").read_text().replace("  signed:\n    auth: iam\n",
                                                    "  signed:\n    auth: jwt\n    scopes: [orders/read]\n")
    (root / "tight.yml").write_text(text + "auth:\n  jwt:\n    issuer: https://cognito-idp.eu-west-1.amazonaws.com/"
                                           "eu-west-1_AbCdEf\n    audience: [web]\n")
    result = tight_aws("deploy", "--stage", "cognito", "--yes", cwd=root)
    try:
        assert result.returncode == 0, result.stdout + result.stderr
        gateway = aws("apigateway")
        api = next(a for a in listed(gateway, "get_rest_apis", "items") if a["name"] == "gated-cognito")
        signed = next(r for r in gateway.get_resources(restApiId=api["id"])["items"] if r["path"] == "/signed")
        method = gateway.get_method(restApiId=api["id"], resourceId=signed["id"], httpMethod="ANY")
        assert method["authorizationType"] == "COGNITO_USER_POOLS"  # (moto drops AuthorizationScopes: the
        # template test checks them)
    finally:
        tight_aws("deploy.delete", "--stage", "cognito", "--yes", cwd=root)
