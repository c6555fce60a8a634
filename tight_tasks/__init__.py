"""tight: invoke tasks that scaffold, run and package AWS Lambda + DynamoDB apps.

Collections (each importable on its own for a project's ``tasks.py``)::

    from tight_tasks import generate, pip, dynamo, env, local, deploy, ns

``ns`` holds them all; the ``tight`` command (:mod:`tight_tasks.program`)
runs it.
"""
from invoke import Collection

from . import _pip as pip
from . import deploy, dynamo, env, generate, local
from ._version import __version__

ns = Collection(generate, pip, dynamo, env, local, deploy)

__all__ = ["__version__", "deploy", "dynamo", "env", "generate", "local", "ns", "pip"]
