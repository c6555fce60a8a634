"""Hand-made tight apps and model sources shared by the dynamo tests."""
from __future__ import annotations

import socket
import textwrap
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
