"""Env files that feed a template: no AWS keys, references as the runtime reads them, warnings for literal
secrets; the IAM statements a function needs for its references."""
from __future__ import annotations

import shutil

import pytest
import yaml
from conftest import run_tight
from deploy_support import cfn_lint

from tight_tasks.deploy.env_secrets import check_env_file, secret_statements
from tight_tasks.deploy.parts import TemplateError
from tight_tasks.envfile import holds_access_key

#: AWS's documented example keys (never valid): an id and its secret.
EXAMPLE_ID = "AKIAIOSFODNN7EXAMPLE"
EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize("value, found", [
    (EXAMPLE_ID, "access key id"), ("ASIAY34FZKBOKMUTVV7A", "access key id"),
    (f"key={EXAMPLE_ID};x", "access key id"), (EXAMPLE_SECRET, "secret access key"),
    (f"aws {EXAMPLE_SECRET}", "secret access key"),
    ("3f786850e387550fdab836ed7e6dc881de23001b", None),  # a sha1: hex digest, not a key
    ("AKIAIOSFODNN7EXAMPLEX", None), ("hello", None), ("x" * 40, None), ("", None),
])
def test_access_keys_are_found(value, found):
    result = holds_access_key(value)
    assert (result is None) if found is None else (found in result)


@pytest.mark.parametrize("values, words", [
    ({"CI": False, "UPLOADER_KEY": EXAMPLE_ID}, ["env.dist.yml: UPLOADER_KEY holds an AWS access key id"]),
    ({"CREDS": EXAMPLE_SECRET}, ["CREDS holds what looks like an AWS secret access key"]),
    ({"AWS_SESSION_TOKEN": "abc"}, ["AWS_SESSION_TOKEN holds an AWS credential"]),
    ({"DB": "ssm:a/b"}, ["DB=ssm:a/b is not a usable reference: a parameter name is"]),
    ({"API": "secretsmanager:api:"}, ["API=secretsmanager:api: is not a usable reference", "JSON key"]),
])
def test_refusals_name_the_file_and_key_never_the_secret(values, words):
    with pytest.raises(TemplateError) as refused:
        check_env_file("env.dist.yml", values)
    for word in words:
        assert word in str(refused.value)
    assert EXAMPLE_SECRET not in str(refused.value) and EXAMPLE_ID not in str(refused.value)


def test_literal_values_under_secret_looking_names_warn_naming_the_key():
    warnings = check_env_file("env.prod.yml", {
        "DB_PASSWORD": "hunter2", "stripe_api_key": "sk_live_1", "GITHUB_TOKEN": 12345, "CLIENT_SECRET": "s",
        "SECRET_REF": "ssm:/shop/secret", "TOKEN_URL_EMPTY": "", "PASSWORD_OFF": None, "GREETING": "hi",
        "TOKEN_FLAG": True})
    assert [w.split(": ")[2].split(" holds")[0] for w in warnings] == [
        "DB_PASSWORD", "stripe_api_key", "GITHUB_TOKEN", "CLIENT_SECRET"]
    assert warnings[0] == ("Warning: env.prod.yml: DB_PASSWORD holds a literal value, readable by anyone who can "
                           "read the template or the function's configuration; store it in SSM or Secrets Manager "
                           "and write DB_PASSWORD: ssm:/NAME (or secretsmanager:NAME)")
    assert all(w.startswith("Warning: env.prod.yml: ") for w in warnings)
    assert not any("hunter2" in w or "sk_live_1" in w for w in warnings)


def sub(text):
    return {"Fn::Sub": text}


def test_statements_name_exactly_the_referenced_arns():
    environment = {"A": "ssm:/shop/prod/db", "B": "ssm:/shop/prod/db:3", "C": "ssm:flat",
                   "D": "ssm:arn:aws:ssm:eu-west-1:123456789012:parameter/other:label",
                   "E": "secretsmanager:prod/api:token", "F": "secretsmanager:prod/api:user",
                   "G": "plain", "STAGE": "prod"}
    assert secret_statements(environment) == [
        {"Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:GetParameters"], "Resource": [
            sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/shop/prod/db"),
            sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/flat"),
            "arn:aws:ssm:eu-west-1:123456789012:parameter/other"]},
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": [
            sub("arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:prod/api-??????")]},
    ]
    assert secret_statements({"STAGE": "prod", "NAME": "shop"}) == []


def test_two_secrets_are_read_in_one_batch_call_which_needs_its_own_action():
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbC123"
    statements = secret_statements({"A": "secretsmanager:api", "B": f"secretsmanager:{arn}:password"})
    assert statements == [
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": [
            sub("arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:api-??????"),
            arn, f"{arn}-??????"]},
        {"Effect": "Allow", "Action": ["secretsmanager:BatchGetSecretValue"], "Resource": ["*"]},
    ]


# -- through the command ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    base = tmp_path_factory.mktemp("secrets-template")
    assert run_tight("generate.app", "shop", cwd=base).returncode == 0
    app = base / "shop"
    result = run_tight("generate.function", "hello", cwd=app)
    assert result.returncode == 0, result.stderr
    return app


@pytest.fixture
def app(generated, tmp_path):
    return shutil.copytree(generated, tmp_path / "shop")


def test_a_key_in_a_stage_file_is_one_line_and_nothing_is_written(app):
    (app / "env.prod.yml").write_text(f"UPLOAD_KEY: {EXAMPLE_ID}\n")
    result = run_tight("deploy.template", "--stage", "prod", "--output", "t.yml", cwd=app)
    assert result.returncode == 1
    assert result.stderr.strip() == ("env.prod.yml: UPLOAD_KEY holds an AWS access key id (AKIA.../ASIA...); keys "
                                     "never go into a template (anyone who can read the function's configuration "
                                     "reads them): remove it, the function's role grants AWS access.")
    assert not (app / "t.yml").exists()


def test_the_template_holds_only_the_reference_and_warns_about_literals(app, tmp_path):
    with (app / "env.dist.yml").open("a") as handle:
        handle.write("DB_PASSWORD: ssm:/shop/prod/db-password\nAPI_TOKEN: literal-token-value\n"
                     "STRIPE: secretsmanager:shop/stripe\nDB_USER: secretsmanager:shop/db:username\n")
    out = tmp_path / "t.yml"
    result = run_tight("deploy.template", "--stage", "prod", "--output", str(out), cwd=app)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        ("Warning: env.dist.yml: API_TOKEN holds a literal value, readable by anyone who can read the template or "
         "the function's configuration; store it in SSM or Secrets Manager and write API_TOKEN: ssm:/NAME "
         "(or secretsmanager:NAME)")]
    template = yaml.safe_load(out.read_text())
    variables = template["Resources"]["FunctionHello"]["Properties"]["Environment"]["Variables"]
    assert variables["DB_PASSWORD"] == "ssm:/shop/prod/db-password"
    statements = template["Resources"]["RoleHello"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    by_action = {tuple(item["Action"]): item["Resource"] for item in statements}
    assert by_action[("secretsmanager:GetSecretValue",)] == [
        {"Fn::Sub": f"arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{name}-??????"}
        for name in ("shop/db", "shop/stripe")]
    assert by_action[("secretsmanager:BatchGetSecretValue",)] == ["*"]  # two secrets: one batched call
    linted = cfn_lint(out)
    assert linted.returncode == 0, linted.stdout + linted.stderr
