"""Secret references on the laptop: env.yml's plain value when it has one, else resolved against the configured
endpoint (here moto's server), for local.invoke and for the app's own tests (the pytest plugin)."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest
from conftest import AWS_REGION, aws_env, clean_env
from local_apps import make_app, write

READER = '''
import os

import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy

PASSWORD = os.environ["DB_PASSWORD"]


@lambda_proxy.get
def get_handler():
    return {"password": PASSWORD}
'''

APP_TEST = '''
import os


def test_the_reference_is_resolved_for_the_apps_tests():
    from app.functions.reader import handler  # imported directly, not through app_index

    assert handler.PASSWORD == os.environ["EXPECTED"]
'''


@pytest.fixture
def app_dir(tmp_path):
    root = make_app(tmp_path / "shop")
    write(root / "app" / "functions" / "reader" / "__init__.py", "")
    write(root / "app" / "functions" / "reader" / "handler.py", READER)
    return root


@pytest.fixture
def parameter(aws):
    name = f"/shop/local/{uuid.uuid4().hex[:8]}"
    aws("ssm").put_parameter(Name=name, Value="from-ssm-ünïcode", Type="SecureString")
    yield name
    aws("ssm").delete_parameter(Name=name)


def invoke(app_dir, env):
    return subprocess.run([sys.executable, "-m", "tight_tasks", "local.invoke", "reader", "--no-db"], cwd=app_dir,
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def test_a_plain_value_in_env_yml_is_used_as_is_without_any_aws_call(app_dir):
    (app_dir / "env.dist.yml").write_text("CI: false\nSTAGE: dev\nDB_PASSWORD: ssm:/shop/prod/db\n")
    (app_dir / "env.yml").write_text("CI: false\nNAME: shop\nSTAGE: dev\nDB_PASSWORD: laptop-password\n")
    # an endpoint nothing listens on: any SSM call would fail
    result = invoke(app_dir, clean_env(AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_DEFAULT_REGION=AWS_REGION))
    assert result.returncode == 0, result.stderr
    assert json.loads(json.loads(result.stdout)["body"]) == {"password": "laptop-password"}


def test_a_reference_in_env_yml_is_resolved_against_the_configured_endpoint(app_dir, parameter, moto_endpoint):
    (app_dir / "env.yml").write_text(f"CI: false\nNAME: shop\nSTAGE: dev\nDB_PASSWORD: ssm:{parameter}\n")
    result = invoke(app_dir, aws_env(moto_endpoint, AWS_DEFAULT_REGION=AWS_REGION))
    assert result.returncode == 0, result.stderr
    assert json.loads(json.loads(result.stdout)["body"]) == {"password": "from-ssm-ünïcode"}
    assert "from-ssm" not in result.stderr


def test_an_unresolvable_reference_is_one_line_and_a_500(app_dir, moto_endpoint):
    (app_dir / "env.yml").write_text("CI: false\nNAME: shop\nSTAGE: dev\nDB_PASSWORD: ssm:/shop/never-made\n")
    result = invoke(app_dir, aws_env(moto_endpoint, AWS_DEFAULT_REGION=AWS_REGION))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["statusCode"] == 500
    assert "DB_PASSWORD=ssm:/shop/never-made cannot be resolved: ParameterNotFound" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("plain", [True, False], ids=["plain", "reference"])
def test_the_apps_tests_see_the_resolved_value(app_dir, parameter, moto_endpoint, plain):
    value = "laptop-password" if plain else f"ssm:{parameter}"
    (app_dir / "env.yml").write_text(f"CI: false\nNAME: shop\nSTAGE: dev\nDB_PASSWORD: {value}\n")
    write(app_dir / "tests" / "test_reader.py", APP_TEST)
    expected = "laptop-password" if plain else "from-ssm-ünïcode"
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "tests"], cwd=app_dir,
                            capture_output=True, text=True, timeout=120, check=False,
                            env=aws_env(moto_endpoint, AWS_DEFAULT_REGION=AWS_REGION, EXPECTED=expected))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
