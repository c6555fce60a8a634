"""End to end: an ``ssm:`` reference deployed to moto, resolved by the deployed zip in a Python 3.12 with only boto3."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_tight
from deploy_support import role_policy, run_deployed

from tight_tasks._pip.vendordir import copy_runtime

STACK = "vault-e2e"
PARAMETER = "/vault/e2e/db-password"

REVEAL = '''\
import os

import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy

PASSWORD = os.environ["DB_PASSWORD"]  # read at import: resolved before any handler is imported


@lambda_proxy.get
def get_handler(request):
    return {"password": PASSWORD, "token": os.environ["API_TOKEN"], "stage": os.environ["STAGE"]}
'''


@pytest.fixture(scope="module")
def vault(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("vault")
    assert run_tight("generate.app", "vault", cwd=base).returncode == 0
    root = base / "vault"
    result = run_tight("generate.function", "reveal", cwd=root)
    assert result.returncode == 0, result.stderr
    (root / "app" / "functions" / "reveal" / "handler.py").write_text(REVEAL)
    (root / "requirements-vendor.txt").write_text("# nothing to vendor\n")
    copy_runtime(root / "app" / "vendored")  # what `tight pip.install` vendors of tight: the zip must run alone
    with (root / "env.dist.yml").open("a") as handle:
        handle.write(f"DB_PASSWORD: ssm:{PARAMETER}\nAPI_TOKEN: secretsmanager:vault-e2e-api:token\n")
    return root


@pytest.fixture(scope="module")
def secrets_deployed(vault, tight_aws, aws):
    result = tight_aws("deploy", "--stage", "e2e", "--yes", cwd=vault)
    assert result.returncode == 0, result.stdout + result.stderr
    ssm, manager = aws("ssm"), aws("secretsmanager")
    ssm.put_parameter(Name=PARAMETER, Value="s3cr3t-pässword", Type="SecureString", Overwrite=True)
    arn = manager.create_secret(Name="vault-e2e-api", SecretString=json.dumps({"token": "tok-123"}))["ARN"]
    yield result
    ssm.delete_parameter(Name=PARAMETER)
    manager.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)


def rest_event() -> dict:
    """API Gateway's REST (1.0) event, every field, for GET /reveal."""
    event = json.loads((Path(__file__).parents[1] / "runtime" / "events" / "rest_v1.json").read_text())
    event.update(resource="/reveal", path="/reveal", httpMethod="GET", pathParameters=None, body=None)
    event["requestContext"].update(resourcePath="/reveal", path="/e2e/reveal", httpMethod="GET")
    return event


def test_the_template_and_the_function_hold_only_the_references(secrets_deployed, aws):
    config = aws("lambda").get_function_configuration(FunctionName=f"{STACK}-reveal")
    variables = config["Environment"]["Variables"]
    assert variables["DB_PASSWORD"] == f"ssm:{PARAMETER}"
    assert variables["API_TOKEN"] == "secretsmanager:vault-e2e-api:token"
    template = aws("cloudformation").get_template(StackName=STACK)["TemplateBody"]
    text = template if isinstance(template, str) else json.dumps(template)
    assert "s3cr3t" not in text and "tok-123" not in text


def test_the_deployed_zip_resolves_the_references_at_cold_start(secrets_deployed, aws, moto_endpoint,
                                                                lambda_python, tmp_path):
    python = lambda_python("3.12")
    result = run_deployed(aws, moto_endpoint, STACK, f"{STACK}-reveal", rest_event(), python, tmp_path)
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout.splitlines()[-1])
    assert response["statusCode"] == 200, (response, result.stderr)
    assert json.loads(response["body"]) == {"password": "s3cr3t-pässword", "token": "tok-123", "stage": "e2e"}
    assert "s3cr3t" not in result.stderr and "tok-123" not in result.stderr


def test_a_missing_parameter_is_one_line_and_a_500(secrets_deployed, aws, moto_endpoint, lambda_python, tmp_path):
    ssm = aws("ssm")
    ssm.delete_parameter(Name=PARAMETER)
    try:
        result = run_deployed(aws, moto_endpoint, STACK, f"{STACK}-reveal", rest_event(), lambda_python("3.12"),
                              tmp_path)
    finally:
        ssm.put_parameter(Name=PARAMETER, Value="s3cr3t-pässword", Type="SecureString", Overwrite=True)
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout.splitlines()[-1])
    assert response["statusCode"] == 500 and json.loads(response["body"]) == {"message": "Internal server error"}
    lines = [line for line in result.stderr.splitlines() if f"DB_PASSWORD=ssm:{PARAMETER}" in line]
    assert len(lines) == 2, result.stderr  # at cold start, then the invocation's own line
    assert lines[1].endswith("app/functions/reveal cannot start")
    assert "Traceback" not in result.stderr and "tok-123" not in result.stderr


def test_the_functions_role_may_read_exactly_its_references(secrets_deployed, aws):
    policy = role_policy(aws, f"{STACK}-reveal")
    assert policy[("ssm:GetParameter", "ssm:GetParameters")] == [
        f"arn:aws:ssm:eu-west-1:123456789012:parameter{PARAMETER}"]
    assert policy[("secretsmanager:GetSecretValue",)] == [
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:vault-e2e-api-??????"]
    secret_actions = {actions for actions in policy if any(a.startswith(("ssm:", "secretsmanager:")) for a in actions)}
    # nothing more: one secret is one GetSecretValue call (no BatchGetSecretValue), no wildcard
    assert secret_actions == {("ssm:GetParameter", "ssm:GetParameters"), ("secretsmanager:GetSecretValue",)}
