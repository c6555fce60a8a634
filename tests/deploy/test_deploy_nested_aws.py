"""An app over CloudFormation's 500 resources per stack: nested stacks, deployed to moto's server."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import aws_env, run_tight
from deploy_support import cfn_lint, run_deployed

from tight_tasks._pip.vendordir import copy_runtime

#: 72 HTTP functions (10 resources each: 50 already break the 500-resource limit as one stack) and a worker.
FUNCTIONS = 72
STACK = "big-test"


def add_functions(root: Path, names: list[str]) -> None:
    for name in names:
        folder = root / "app" / "functions" / name
        folder.mkdir(parents=True)
        (folder / "__init__.py").write_text("")
        (folder / "handler.py").write_text(
            "import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy\n\n\n"
            f"@lambda_proxy.get\ndef get_handler(*args, **kwargs):\n    return {{'statusCode': 200, "
            f"'body': {{'function': '{name}'}}}}\n")


@pytest.fixture(scope="module")
def big_app(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("bigapp")
    assert run_tight("generate.app", "big", cwd=base).returncode == 0
    root = base / "big"
    for args in (("generate.model", "account"), ("generate.function", "worker", "--type", "sqs")):
        result = run_tight(*args, cwd=root)
        assert result.returncode == 0, result.stderr
    (root / "requirements-vendor.txt").write_text("# nothing to vendor\n")
    copy_runtime(root / "app" / "vendored")  # what `tight pip.install` vendors of tight: the zip must run alone
    add_functions(root, [f"page{n:03d}" for n in range(FUNCTIONS)])
    return root


@pytest.fixture(scope="module")
def deployed_big(big_app, moto_endpoint):
    result = run_tight("deploy", "--stage", "test", "--yes", cwd=big_app, env=aws_env(moto_endpoint), timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    return result


def test_the_template_is_a_root_and_children_each_clean_under_cfn_lint(big_app, tmp_path):
    out = tmp_path / "big.yml"
    result = run_tight("deploy.template", "--stage", "test", "--output", str(out), cwd=big_app)
    assert result.returncode == 0, result.stderr
    children = sorted(tmp_path.glob("big.StackPart*.yml"))
    assert len(children) >= 2 and f"and {len(children)} nested stacks beside it" in result.stdout
    root = yaml.safe_load(out.read_text())
    tables = [k for k, v in root["Resources"].items() if v["Type"] == "AWS::DynamoDB::Table"]
    assert tables == ["TableAccounts"]  # tables stay in the root stack
    total = 0
    for path in [out, *children]:
        template = yaml.safe_load(path.read_text())
        assert len(template["Resources"]) <= 500
        total += len(template["Resources"])
        linted = cfn_lint(path)
        assert linted.returncode == 0, linted.stdout + linted.stderr
    assert total > 500 + len(children)  # as one stack it would be over the limit


def test_every_function_is_deployed_from_its_nested_stack(deployed_big, aws, moto_endpoint, lambda_python,
                                                          tmp_path):
    cloudformation = aws("cloudformation")
    resources = cloudformation.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    nested = [r for r in resources if r["ResourceType"] == "AWS::CloudFormation::Stack"]
    assert len(nested) >= 2 and all(r["ResourceStatus"] == "CREATE_COMPLETE" for r in nested)
    assert [r["LogicalResourceId"] for r in resources if r["ResourceType"] == "AWS::DynamoDB::Table"] == \
        ["TableAccounts"]
    names = set()
    for page in aws("lambda").get_paginator("list_functions").paginate():
        names |= {f["FunctionName"] for f in page["Functions"] if f["FunctionName"].startswith(f"{STACK}-")}
    assert names == {f"{STACK}-page{n:03d}" for n in range(FUNCTIONS)} | {f"{STACK}-worker"}
    api = next(r["PhysicalResourceId"] for r in resources if r["LogicalResourceId"] == "Api")
    paths = {r["path"] for r in aws("apigateway").get_resources(restApiId=api, limit=500)["items"]}
    assert {"/page000", "/page071/{proxy+}"} <= paths and len(paths) == 2 * FUNCTIONS + 1
    event = {"httpMethod": "GET", "path": "/page071", "resource": "/page071", "headers": {},
             "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
             "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
             "requestContext": {"httpMethod": "GET", "path": "/test/page071", "stage": "test",
                                "resourcePath": "/page071"}}
    ran = run_deployed(aws, moto_endpoint, STACK, f"{STACK}-page071", event, lambda_python("3.12"), tmp_path)
    assert ran.returncode == 0, ran.stderr
    answer = json.loads(ran.stdout)
    assert (answer["statusCode"], json.loads(answer["body"])) == (200, {"function": "page071"})


def test_status_lists_the_functions_of_the_nested_stacks(deployed_big, big_app, moto_endpoint):
    result = run_tight("deploy.status", "--stage", "test", cwd=big_app, env=aws_env(moto_endpoint))
    assert result.returncode == 0, result.stderr
    listed = [line for line in result.stdout.splitlines() if line.startswith(f"Function {STACK}-")]
    assert len(listed) == FUNCTIONS + 1 and f"Table {STACK}-accounts: ACTIVE, 0 items" in result.stdout


def test_an_update_of_a_nested_app_keeps_every_function_and_the_table(big_app, aws, moto_endpoint, tmp_path):
    import shutil

    app = Path(shutil.copytree(big_app, tmp_path / "big", ignore=shutil.ignore_patterns("builds")))
    for step in ("create", "update with one more function"):
        if step.startswith("update"):
            add_functions(app, ["late"])
        result = run_tight("deploy", "--stage", "upd", "--yes", cwd=app, env=aws_env(moto_endpoint), timeout=900)
        assert result.returncode == 0, step + result.stdout[-3000:] + result.stderr
    assert "Stack big-upd is UPDATE_COMPLETE" in result.stdout
    names = set()
    for page in aws("lambda").get_paginator("list_functions").paginate():
        names |= {f["FunctionName"] for f in page["Functions"] if f["FunctionName"].startswith("big-upd-")}
    assert names == {f"big-upd-page{n:03d}" for n in range(FUNCTIONS)} | {"big-upd-worker", "big-upd-late"}
    assert aws("dynamodb").describe_table(TableName="big-upd-accounts")["Table"]["TableStatus"] == "ACTIVE"
    rolled = run_tight("deploy.rollback", "--stage", "upd", "--yes", cwd=app, env=aws_env(moto_endpoint), timeout=900)
    assert rolled.returncode == 0, rolled.stdout[-3000:] + rolled.stderr
    assert "Stack big-upd is UPDATE_COMPLETE" in rolled.stdout  # back on the first templates, from their sha256 keys
    after = {f["FunctionName"] for page in aws("lambda").get_paginator("list_functions").paginate()
             for f in page["Functions"] if f["FunctionName"].startswith("big-upd-")}
    assert after == names - {"big-upd-late"}
