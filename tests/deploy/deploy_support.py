"""Shared by the deploy tests: one moto server, one generated app, `tight deploy` as a subprocess.

Fixtures are imported by test_deploy_aws.py (one module, so session fixtures exist once)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import clean_env, run_tight

REGION = "eu-west-1"

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
  users:
    path: [/users, '/users/{id}']
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint():
    """A moto server for the whole session: ``http://localhost:PORT`` (moto resolves S3 URLs by that name)."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://localhost:{port}"
    server.stop()


def aws_env(endpoint: str, **extra: str) -> dict[str, str]:
    """A child environment pointed at moto, with dummy credentials and no AWS config files."""
    return clean_env(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                     AWS_REGION=REGION, AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=os.devnull,
                     AWS_SHARED_CREDENTIALS_FILE=os.devnull, **extra)


@pytest.fixture(scope="session")
def aws(moto_endpoint):
    """``aws(service)``: a boto3 client of the moto server."""
    import boto3

    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=REGION)
    return lambda service: session.client(service, endpoint_url=moto_endpoint)


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
def tight_aws(moto_endpoint):
    """``tight_aws(*args, cwd=..., **env)``: the CLI in a subprocess, against moto."""

    def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
        return run_tight(*args, cwd=cwd, env=aws_env(moto_endpoint, **env), timeout=180)

    return run


@pytest.fixture(scope="session")
def deployed(deploy_app, tight_aws):
    """Stage ``test`` of the app, deployed once for the session: the CompletedProcess."""
    result = tight_aws("deploy", "--stage", "test", cwd=deploy_app, CI="true", GREETING="from the shell")
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def cfn_lint(path: Path) -> subprocess.CompletedProcess:
    lint = shutil.which("cfn-lint") or str(Path(sys.executable).with_name("cfn-lint"))
    return subprocess.run([lint, "--format", "parseable", str(path)], capture_output=True, text=True,
                          timeout=120, check=False)


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip()
