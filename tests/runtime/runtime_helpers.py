"""Build small tight apps by hand for the runtime tests (no dependency on `tight generate`)."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

APP_INDEX = '''\
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "app", "vendored"))
from tight.providers.aws.lambda_app import app as lambda_app  # noqa: E402
lambda_app.run()
'''

CONFTEST = '''\
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
if here not in sys.path:
    sys.path.insert(0, here)
'''

GENERATED_HANDLER = '''\
from tight.providers.aws.clients import dynamo_db
import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy

db = dynamo_db.connect()


@lambda_proxy.get
def get_handler(*args, **kwargs):
    return {
        'statusCode': 200,
        'body': {
            'hello': 'world'
        }
    }


@lambda_proxy.post
def post_handler(*args, **kwargs):
    pass
'''

ACCOUNT_MODEL = '''\
import datetime
import os

from flywheel import Field, Model


class Account(Model):
    __metadata__ = {
        '_name': '%s-%s-accounts' % (os.environ['NAME'], os.environ['STAGE']),
        'throughput': {'read': 1, 'write': 1},
    }

    id = Field(type=str, hash_key=True)
    created = Field(type=datetime.datetime)

    def __init__(self, id, created=None):
        self.id = id
        self.created = created
'''


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def make_app(root: Path, functions: dict[str, str] | None = None, models: dict[str, str] | None = None,
             files: dict[str, str] | None = None, name: str = "my-service") -> Path:
    """A tight app in ``root``: tight.yml, env.dist.yml, app_index.py, conftest.py and the given files."""
    write(root / "tight.yml", f"name: {name}\nprovider: aws\nvendor_dir: app/vendored\n")
    write(root / "env.dist.yml", "CI: false\nSTAGE: dev\n")
    write(root / "app_index.py", APP_INDEX)
    write(root / "conftest.py", CONFTEST)
    write(root / "app" / "__init__.py", "")
    write(root / "app" / "functions" / "__init__.py", "")
    for function, source in (functions or {}).items():
        write(root / "app" / "functions" / function / "__init__.py", "")
        write(root / "app" / "functions" / function / "handler.py", source)
    if models:
        write(root / "app" / "models" / "__init__.py", "")
        for model, source in models.items():
            write(root / "app" / "models" / f"{model}.py", source)
    for relpath, source in (files or {}).items():
        write(root / relpath, source)
    return root


def forget_app_modules() -> None:
    """Drop every module of a hand-built app from sys.modules (apps share the names)."""
    for name in list(sys.modules):
        if name in ("app", "app_index") or name.startswith("app."):
            del sys.modules[name]
