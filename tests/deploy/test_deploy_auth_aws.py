"""`tight deploy` of a REST API with a Lambda authorizer, IAM and a Function URL, on moto's server.

moto creates the methods but skips ``AWS::ApiGateway::Authorizer`` and ``AWS::Lambda::Url``
(DESIGN.md): those are checked in the template (test_template_auth.py); here the stack must
still deploy, the methods carry their authorization, the authorizer's permission exists, and
the deployed authorizer code answers as API Gateway expects.
"""
from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import find_python, run_tight

import tight
from tight.dev import sample_events

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
    api = next(a for a in gateway.get_rest_apis()["items"] if a["name"] == STACK)
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


def test_deployed_authorizer_answers_with_a_stage_wide_policy(deployed_gated, gated_app, aws, tmp_path):
    python = find_python("3.12")
    if python is None:
        pytest.skip("no Python 3.12 (the stack's runtime) on this machine")
    function = aws("lambda").get_function(FunctionName=f"{STACK}-gate")
    code = aws("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]["Parameters"]
    params = {p["ParameterKey"]: p["ParameterValue"] for p in code}
    body = aws("s3").get_object(Bucket=params["CodeBucket"], Key=params["CodeKey"])["Body"].read()
    (tmp_path / "code.zip").write_bytes(body)
    zipfile.ZipFile(tmp_path / "code.zip").extractall(tmp_path / "task")
    module, handler = function["Configuration"]["Handler"].rsplit(".", 1)
    event = sample_events.authorizer("Bearer s3cret", stage="test")
    # This app vendors nothing (pip.install would put tight's runtime into the zip): the checkout's runtime
    # stands in for it, after the zip's own code.
    runtime = str(Path(tight.__file__).resolve().parent.parent)
    script = (f"import json, sys; sys.path[:0] = [{str(tmp_path / 'task')!r}, {runtime!r}]; import {module}; "
              f"print(json.dumps({module}.{handler}(json.loads(sys.stdin.read()), None)))")
    env = {**function["Configuration"]["Environment"]["Variables"], "AUTH_TOKEN": "s3cret", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([python, "-I", "-c", script], input=json.dumps(event), capture_output=True, text=True,
                            env=env, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["principalId"] == "api-client"
    assert answer["policyDocument"]["Statement"][0] == {
        "Action": "execute-api:Invoke", "Effect": "Allow",
        "Resource": event["methodArn"].rsplit("/", 2)[0] + "/*"}


def test_function_url_is_printed_once_it_exists(deployed_gated, gated_app, aws, tight_aws):
    assert "URL of hook (public): none found (not created)" in deployed_gated.stdout  # moto skips AWS::Lambda::Url
    made = aws("lambda").create_function_url_config(FunctionName=f"{STACK}-hook", AuthType="NONE")
    try:
        again = tight_aws("deploy", "--stage", "test", "--yes", cwd=gated_app)
        assert again.returncode == 0, again.stderr
        assert f"URL of hook (public): {made['FunctionUrl']}" in again.stdout
    finally:
        aws("lambda").delete_function_url_config(FunctionName=f"{STACK}-hook")
