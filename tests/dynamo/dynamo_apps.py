"""Hand-made tight apps and model sources shared by the dynamo tests."""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

ACCOUNT = '''\
from flywheel import Model, Field
import os


# DynamoDB Model
class Account(Model):
    __metadata__ = {
        '_name': '%s-%s-accounts' % (os.environ['NAME'], os.environ['STAGE']),
        'throughput': {
            'read': 1,
            'write': 1
        }
    }

    id = Field(type=str, hash_key=True)

    # Constructor
    def __init__(self, id):
        self.id = id
'''

#: A model using every feature: range key, local indexes (all/keys/include),
#: global indexes with throughput, TTL and a stream.
EVENT = '''\
from flywheel import Model, Field, GlobalIndex
import os


class Event(Model):
    __metadata__ = {
        '_name': '%s-%s-events' % (os.environ['NAME'], os.environ['STAGE']),
        'throughput': {'read': 2, 'write': 3},
        'global_indexes': [
            GlobalIndex.all('by-kind', 'kind', 'ts').throughput(read=4, write=5),
            GlobalIndex.keys('by-device', 'device'),
            GlobalIndex.include('by-owner', 'owner', includes=['kind']).throughput(1, 1),
        ],
        'ttl': {'attribute': 'expires', 'enabled': True},
        'stream': 'NEW_AND_OLD_IMAGES',
    }

    user = Field(type=str, hash_key=True)
    ts = Field(type=int, range_key=True)
    kind = Field(type=str)
    device = Field(data_type=bytes)
    owner = Field(type=str)
    score = Field(type=float, index='by-score')
    rank = Field(type=int).keys_index('by-rank')
    label = Field(type=str).include_index('by-label', ['kind'])
    expires = Field(type=int)
'''

#: On-demand billing: no throughput anywhere, a global index, a stream.
SESSION = '''\
from flywheel import Model, Field, GlobalIndex
import os


class Session(Model):
    __metadata__ = {
        '_name': '%s-%s-sessions' % (os.environ['NAME'], os.environ['STAGE']),
        'billing_mode': 'PAY_PER_REQUEST',
        'global_indexes': [GlobalIndex.all('by-token', 'token')],
        'ttl': 'expires_at',
        'stream': 'KEYS_ONLY',
    }

    id = Field(type=str, hash_key=True)
    token = Field(type=str)
    expires_at = Field(type=int)
'''


def make_app(root: Path, models: dict[str, str] | None = None, name: str = "my-service",
             env: str | None = "STAGE: dev\n") -> Path:
    """A tight app: tight.yml, env.dist.yml, env.yml (unless ``env`` is None), app/models/*.py."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "tight.yml").write_text(f"provider: aws\nname: {name}\nvendor_dir: app/vendored\n")
    (root / "env.dist.yml").write_text("CI: false\nSTAGE: dev\n")
    if env is not None:
        (root / "env.yml").write_text(f"NAME: {name}\n{env}")
    models_dir = root / "app" / "models"
    models_dir.mkdir(parents=True, exist_ok=True)
    (root / "app" / "__init__.py").write_text("")
    (models_dir / "__init__.py").write_text("")
    for stem, source in (models if models is not None else {"Account": ACCOUNT}).items():
        (models_dir / f"{stem}.py").write_text(textwrap.dedent(source))
    return root


READY = "Press Ctrl-C to stop."


class Rundb:
    """``python -m tight_tasks dynamo.rundb ARGS`` in ``app``; read its banner."""

    def __init__(self, app, *args, env=None):
        from conftest import clean_env

        # stderr goes to a file: a child that outlives tight (the bug some tests look for) must not hang the test.
        self.stderr = tempfile.TemporaryFile("w+")  # noqa: SIM115 - lives as long as the process
        self.process = subprocess.Popen([sys.executable, "-m", "tight_tasks", "dynamo.rundb", *args], cwd=app,
                                        stdout=subprocess.PIPE, stderr=self.stderr, text=True, env=env or clean_env())
        self.lines: list[str] = []

    def banner(self, timeout: float = 60) -> str:
        self.queue = lines = queue.Queue()
        self.reader = threading.Thread(target=lambda: [lines.put(x) for x in iter(self.process.stdout.readline, "")],
                                       daemon=True)
        self.reader.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                break
            self.lines.append(line.rstrip("\n"))
            if line.strip() == READY:
                return "\n".join(self.lines)
        self.process.kill()
        raise AssertionError("rundb did not get ready:\n" + "\n".join(self.lines) + self.read_stderr())

    def read_stderr(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read()

    def stop(self, sig=signal.SIGINT, timeout: float = 30) -> tuple[int, str, str]:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        self.process.wait(timeout)
        self.reader.join(5)
        while not self.queue.empty():
            self.lines.append(self.queue.get().rstrip("\n"))
        return self.process.returncode, "\n".join(self.lines), self.read_stderr()


_STUB_JAR: list[Path] = []


def build_stub_jar(tmp_path_factory) -> Path:
    """stub/StubDynamoDBLocal.java built (once per session) into a DynamoDBLocal.jar (a stand-in, not DynamoDB)."""
    import shutil

    import pytest

    from tight_tasks.dynamo.engines import java_version

    if _STUB_JAR:
        return _STUB_JAR[0]
    if not (shutil.which("javac") and shutil.which("jar")) or (java_version()[1] or 0) < 17:
        pytest.skip("needs a Java 17+ JDK (javac, jar)")
    out = tmp_path_factory.mktemp("stubjar")
    source = Path(__file__).parent / "stub" / "StubDynamoDBLocal.java"
    subprocess.run(["javac", "-d", str(out), str(source)], check=True)
    subprocess.run(["jar", "cfe", str(out / "DynamoDBLocal.jar"), "StubDynamoDBLocal", "-C", str(out),
                    "StubDynamoDBLocal.class"], check=True)
    _STUB_JAR.append(out / "DynamoDBLocal.jar")
    return _STUB_JAR[0]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not Path(f"/proc/{pid}/status").exists() or "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
