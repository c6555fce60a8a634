"""generate.function --type authorizer: handler, passing tests, tight.yml entry, sample events for local.invoke."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import run_tight


@pytest.fixture(scope="module")
def gated(tmp_path_factory) -> tuple[Path, str]:
    parent = tmp_path_factory.mktemp("gated")
    assert run_tight("generate.app", "svc", cwd=parent).returncode == 0
    root = parent / "svc"
    result = run_tight("generate.function", "gate", "--type", "authorizer", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    (root / "env.yml").write_text("NAME: svc\nSTAGE: local\nAUTH_TOKEN: s3cret\n")  # what local.invoke reads
    return root, result.stdout


def test_generated_tests_pass_and_the_entry_is_recorded(gated):
    root, out = gated
    assert "4 passed" in out and out.strip().endswith("Successfully generated function and tests!")
    assert yaml.safe_load((root / "tight.yml").read_text())["functions"]["gate"] == {"type": "authorizer",
                                                                                     "ttl": 300}
    assert "@authorizer.handler" in (root / "app/functions/gate/handler.py").read_text()


def _invoke(root: Path, *args: str, **env: str) -> dict:
    result = run_tight("local.invoke", "gate", "--no-db", *args, cwd=root, env=None if not env else env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_local_invoke_sends_a_rest_request_event(gated):
    root, _ = gated
    allowed = _invoke(root, "--body", "Bearer s3cret")
    denied = _invoke(root)  # the sample token
    statement = allowed["policyDocument"]["Statement"][0]
    assert (allowed["principalId"], statement["Effect"], allowed["context"]) == (
        "api-client", "Allow", {"authorizer": "gate"})
    assert statement["Resource"].endswith(":a1b2c3d4e5/dev/*")
    assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny"


def test_a_route_may_name_it_but_not_another_function(gated):
    root, _ = gated
    assert run_tight("generate.function", "orders", cwd=root).returncode == 0
    text = (root / "tight.yml").read_text()
    (root / "tight.yml").write_text(text + "auth:\n  default: orders\n")
    try:
        result = run_tight("local.invoke", "orders", "--no-db", cwd=root)
        assert result.returncode == 1
        assert "auth.default 'orders' is not none, jwt, iam or an authorizer function (gate)" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    finally:
        (root / "tight.yml").write_text(text)


def test_local_invoke_follows_api_http(gated):
    root, _ = gated
    text = (root / "tight.yml").read_text()
    (root / "tight.yml").write_text(text + "api: http\n")
    try:
        allowed = _invoke(root, "--body", "Bearer s3cret")
        denied = _invoke(root, "--body", "Bearer anything")
    finally:
        (root / "tight.yml").write_text(text)
    # an HTTP API's simple responses
    assert allowed == {"isAuthorized": True, "context": {"authorizer": "gate", "principalId": "api-client"}}
    assert denied == {"isAuthorized": False, "context": {}}
