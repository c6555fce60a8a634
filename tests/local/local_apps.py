"""A hand-made tight app exercising everything local.serve translates, and a server runner for the tests."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from conftest import clean_env

APP_INDEX = '''\
import os
import sys
sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "app", "vendored"))
from tight.providers.aws.lambda_app import app as lambda_app  # noqa: E402
lambda_app.run()
'''

PNG = bytes([0x89, 0x50, 0x4E, 0x47, 0x00, 0xFF, 0x10])

HANDLERS = {
    # Answers with the whole event it got (GET and POST only: DELETE is a 405).
    "echo": '''\
        import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy


        @lambda_proxy.get
        def get_handler(event, context):
            print("echo says hello on stdout")
            return {"statusCode": 200, "body": {"event": event, "function": context.function_name,
                                                "memory": context.memory_limit_in_mb}}


        @lambda_proxy.post
        def post_handler(event, context):
            return {"statusCode": 201, "body": {"event": event}}
        ''',
    # Binary body and cookies in the shape of the event's payload version.
    "files": '''\
        import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy

        PNG = bytes([0x89, 0x50, 0x4E, 0x47, 0x00, 0xFF, 0x10])


        @lambda_proxy.get
        def get_handler(event, path_parameters):
            response = {"statusCode": 200, "body": PNG,
                        "headers": {"Content-Type": "image/png", "X-Name": path_parameters["name"]}}
            if event.get("version") == "2.0":
                response["cookies"] = ["a=1; Path=/", "b=2; HttpOnly"]
            else:
                response["multiValueHeaders"] = {"Set-Cookie": ["a=1; Path=/", "b=2; HttpOnly"]}
            return response
        ''',
    # Ends the process as Lambda's runtime sees it: API Gateway answers 502.
    "broken": '''\
        import sys

        import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy


        @lambda_proxy.get
        def get_handler():
            sys.exit("disk on fire")
        ''',
    "accounts": '''\
        import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy
        from tight.providers.aws.clients import dynamo_db
        from app.models.Account import Account

        db = dynamo_db.connect()


        @lambda_proxy.post
        def post_handler(body):
            account = Account(body["id"])
            account.owner = body["owner"]
            db.save(account, overwrite=True)
            return {"statusCode": 201, "body": {"saved": body["id"]}}
        ''',
    "lookup": '''\
        import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy
        from tight.providers.aws.clients import dynamo_db
        from app.models.Account import Account

        db = dynamo_db.connect()


        @lambda_proxy.get
        def get_handler(path_parameters):
            account = db.query(Account).filter(id=path_parameters["id"]).first()
            if account is None:
                return {"statusCode": 404, "body": {"missing": path_parameters["id"]}}
            return {"statusCode": 200, "body": {"id": account.id, "owner": account.owner}}
        ''',
    # Takes longer than its 1 s timeout (tight.yml).
    "slow": '''\
        import time

        import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy


        @lambda_proxy.get
        def get_handler():
            time.sleep(1.2)
            return {"statusCode": 200, "body": "late"}
        ''',
    "version": '''\
        import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy


        @lambda_proxy.get
        def get_handler():
            return {"statusCode": 200, "body": {"version": "one"}}
        ''',
}

ACCOUNT = '''\
import os

from flywheel import Field, Model
from tight.providers.aws.clients import dynamo_db


class Account(Model):
    __metadata__ = {
        '_name': '%s-%s-accounts' % (os.environ['NAME'], os.environ['STAGE']),
        'throughput': {'read': 1, 'write': 1},
    }

    id = Field(type=str, hash_key=True)
    owner = Field(type=str)

    def __init__(self, id):
        self.id = id


dynamo_db.connect().register(Account)
'''

TIGHT_YML = '''\
name: shop
provider: aws
functions:
  files:
    path: /files/{name}
  accounts:
    path: /accounts
    memory: 512
  lookup:
    path: /accounts/{id}
  slow:
    timeout: 1
'''


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def make_app(root: Path, tight_yml: str = TIGHT_YML, handlers: dict[str, str] | None = None) -> Path:
    """The app on disk: ``tight_yml``, env files, the Account model and one package per handler source."""
    write(root / "tight.yml", tight_yml)
    write(root / "env.dist.yml", "CI: false\nSTAGE: dev\n")
    write(root / "env.yml", "CI: false\nNAME: shop\nSTAGE: dev\n")
    write(root / "app_index.py", APP_INDEX)
    for package in ("app", "app/functions", "app/models"):
        write(root / package / "__init__.py", "")
    write(root / "app" / "models" / "Account.py", ACCOUNT)
    for name, source in (HANDLERS if handlers is None else handlers).items():
        write(root / "app" / "functions" / name / "__init__.py", "")
        write(root / "app" / "functions" / name / "handler.py", source)
    return root


class Server:
    """``tight local.serve`` as a subprocess; ``lines`` collects its stdout and stderr."""

    def __init__(self, root: Path, *args: str, env: dict | None = None):
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tight_tasks", "local.serve", *args], cwd=root, env=env or clean_env(),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl-C"):
                self.ready.set()
        self.ready.set()

    def wait_ready(self, timeout: float = 60) -> None:
        self.ready.wait(timeout)
        assert self.process.poll() is None, self.output()

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_line(self, text: str, timeout: float = 30, pattern: bool = False, count: int = 1) -> str:
        """The ``count``-th line containing ``text`` (a regular expression matching the whole line with
        ``pattern``), waiting for the reader thread to collect it."""
        import re

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in list(self.lines) if (re.fullmatch(text, line) if pattern else text in line)]
            if len(found) >= count:
                return found[count - 1]
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never printed{f' {count} times' if count > 1 else ''}:\n{self.output()}")

    def interrupt(self, timeout: float = 30) -> int:
        import signal

        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout)
        self.reader.join(10)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
