"""The app the deploy tests share and its first deploy (the moto server and `tight_aws` are in tests/conftest.py).

Imported by test_deploy_aws.py only, so its session fixtures exist once."""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import AWS_REGION, aws_env, find_python, make_venv, run_tight

#: A model with a range key, local and global indexes, TTL and a stream.
EVENT_MODEL = '''\
import os

from flywheel import Field, GlobalIndex, Model


class Event(Model):
    __metadata__ = {
        '_name': f"{os.environ['NAME']}-{os.environ['STAGE']}-events",
        'throughput': {'read': 2, 'write': 3},
        'global_indexes': [GlobalIndex.all('by-kind', 'kind', 'ts').throughput(read=4, write=5)],
        'ttl': {'attribute': 'expires', 'enabled': True},
        'stream': 'NEW_AND_OLD_IMAGES',
    }

    user = Field(type=str, hash_key=True)
    ts = Field(type=int, range_key=True)
    kind = Field(type=str)
    score = Field(type=float, index='by-score')
    expires = Field(type=int)
'''

#: tight.yml's functions section: per-function settings and an explicit path list.
FUNCTIONS = """\
functions:
  hello:
    memory: 512
    timeout: 10
    log_retention: 30
    tables: [Event]
  users:
    path: [/users, '/users/{id}']
"""
#: A module of function users that imports a model: its role may use that model's table (never run here).
USERS_QUERIES = "from app.models.Account import Account\n\n\ndef everyone():\n    return list(Account.scan())\n"


@pytest.fixture(scope="session")
def deploy_app(tmp_path_factory) -> Path:
    """A generated app: functions hello and users, models Account and Event, per-function settings,
    env.dist.yml with a per-stage override file and a laptop env.yml that must never ship."""
    base = tmp_path_factory.mktemp("deployapp")
    for args, cwd in ((("generate.app", "shop"), base), (("generate.function", "hello"), base / "shop"),
                      (("generate.function", "users"), base / "shop"), (("generate.model", "account"), base / "shop")):
        result = run_tight(*args, cwd=cwd)
        assert result.returncode == 0, result.stderr
    root = base / "shop"
    # Vendoring flywheel for Lambda is pip.install's business (tested there); this app ships no
    # dependencies, so generate.artifact has nothing to refuse.
    (root / "requirements-vendor.txt").write_text("# nothing to vendor\n")
    (root / "app" / "models" / "Event.py").write_text(EVENT_MODEL)
    (root / "app" / "functions" / "users" / "queries.py").write_text(USERS_QUERIES)
    with open(root / "tight.yml", "a", encoding="utf-8") as handle:
        handle.write(FUNCTIONS)
    (root / "env.dist.yml").write_text("CI: false\nSTAGE: dev\nGREETING: hello\nRETRIES: 3\n")
    (root / "env.test.yml").write_text("GREETING: hi from test\n")
    (root / "env.yml").write_text("CI: false\nSTAGE: dev\nGREETING: laptop\nRETRIES: 3\nSECRET: do-not-ship\n")
    return root


@pytest.fixture
def app_copy(deploy_app, tmp_path) -> Path:
    """A private copy of the app, for tests that change its code."""
    return Path(shutil.copytree(deploy_app, tmp_path / "shop", ignore=shutil.ignore_patterns("builds")))


@pytest.fixture(scope="session")
def deployed(deploy_app, tight_aws):
    """Stage ``test`` of the app, deployed once for the session: the CompletedProcess."""
    result = tight_aws("deploy", "--stage", "test", cwd=deploy_app, CI="true", GREETING="from the shell")
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture
def in_moto(moto_endpoint, monkeypatch):
    """This process pointed at moto (the autouse fixture removed the shell's AWS settings)."""
    for key, value in aws_env(moto_endpoint).items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)


def cfn_lint(*paths: Path) -> subprocess.CompletedProcess:
    lint = shutil.which("cfn-lint") or str(Path(sys.executable).with_name("cfn-lint"))
    return subprocess.run([lint, "--format", "parseable", *map(str, paths)], capture_output=True, text=True,
                          timeout=300, check=False)


# -- a deployed function, run as Lambda would: its zip, its Environment, a Python with only boto3 ----------


@pytest.fixture(scope="session")
def lambda_python(tmp_path_factory):
    """``lambda_python("3.12")``: a venv python of that version with only boto3 (what Lambda's runtime has)."""
    made: dict[str, str] = {}

    def make(version: str = "3.12") -> str:
        if version not in made:
            python = find_python(version)
            if python is None:
                pytest.skip(f"Python {version} is not installed on this machine")
            target = tmp_path_factory.mktemp(f"lambda{version}")
            installed = make_venv(python, target, "boto3")
            assert installed.returncode == 0, installed.stderr[-2000:]
            made[version] = str(target / "bin" / "python")
        return made[version]

    return make


#: Calls ``sys.argv[1]`` (the Handler, ``module.function``) with the JSON event on stdin, as Lambda does.
RUN_HANDLER = """\
import importlib, json, os, sys
sys.path.insert(0, os.getcwd())  # Lambda's task root
module, _, function = sys.argv[1].rpartition(".")
print(json.dumps(getattr(importlib.import_module(module), function)(json.load(sys.stdin), None)))
"""


def run_deployed(aws, endpoint: str, stack: str, function: str, event: dict, python: str,
                 workdir: Path) -> subprocess.CompletedProcess:
    """Run deployed ``function`` of ``stack`` on ``event``: its code unzipped from the stack's code
    bucket/key, its Handler called by ``python`` with the function's Environment and ``AWS_ENDPOINT_URL``
    at moto (``-I``: no user site, no PYTHON* variables). The CompletedProcess (stdout: the result as JSON)."""
    import json
    import zipfile

    config = aws("lambda").get_function_configuration(FunctionName=function)
    stacks = aws("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stacks[0].get("Parameters", [])}
    code = aws("s3").get_object(Bucket=parameters["CodeBucket"], Key=parameters["CodeKey"])["Body"].read()
    task = workdir / "task"
    (workdir / "code.zip").write_bytes(code)
    with zipfile.ZipFile(workdir / "code.zip") as archive:
        archive.extractall(task)
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **config.get("Environment", {}).get("Variables", {}),
           "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_REGION": AWS_REGION, "AWS_DEFAULT_REGION": AWS_REGION, "AWS_LAMBDA_FUNCTION_NAME": function,
           "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": os.devnull,
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    return subprocess.run([python, "-I", "-c", RUN_HANDLER, config["Handler"]], input=json.dumps(event), cwd=task,
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def role_policy(aws, function: str) -> dict:
    """Actions -> resources of the deployed function's own role, read back from IAM."""
    iam = aws("iam")
    role = aws("lambda").get_function(FunctionName=function)["Configuration"]["Role"].rsplit("/", 1)[-1]
    (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    if isinstance(document, str):  # moto returns the document as a Python repr
        document = ast.literal_eval(document)
    return {tuple(s["Action"]): sorted(s["Resource"]) for s in document["Statement"]}
