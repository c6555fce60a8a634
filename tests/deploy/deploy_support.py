"""The app the deploy tests share and its first deploy (the moto server and `tight_aws` are in tests/conftest.py).

Imported by test_deploy_aws.py only, so its session fixtures exist once."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_tight

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
def deployed(deploy_app, tight_aws):
    """Stage ``test`` of the app, deployed once for the session: the CompletedProcess."""
    result = tight_aws("deploy", "--stage", "test", cwd=deploy_app, CI="true", GREETING="from the shell")
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def cfn_lint(path: Path) -> subprocess.CompletedProcess:
    lint = shutil.which("cfn-lint") or str(Path(sys.executable).with_name("cfn-lint"))
    return subprocess.run([lint, "--format", "parseable", str(path)], capture_output=True, text=True,
                          timeout=120, check=False)
