"""tight: invoke tasks that scaffold, run and package AWS Lambda + DynamoDB apps.

Collections (each importable on its own for a project's ``tasks.py``)::

    from tight_tasks import generate, pip, dynamo, env, local, deploy, ns

``ns`` holds them all; the ``tight`` command (:mod:`tight_tasks.program`)
runs it.

Importing this package imports nothing else: the collections (and invoke)
load on first use, so the ``tight`` command can turn a Ctrl-C during its
imports into one line (:mod:`tight_tasks.__main__`).
"""
from ._version import __version__

#: The modules whose collections ``ns`` holds, in order (``pip`` is the ``_pip`` module).
COLLECTIONS = ("generate", "_pip", "dynamo", "env", "local", "deploy")

__all__ = ["__version__", "deploy", "dynamo", "env", "generate", "local", "ns", "pip"]


def __getattr__(name: str):
    import importlib

    if name == "pip":
        return importlib.import_module("._pip", __name__)
    if name in COLLECTIONS:
        return importlib.import_module(f".{name}", __name__)
    if name == "ns":
        from invoke import Collection

        modules = [importlib.import_module(f".{module}", __name__) for module in COLLECTIONS]
        globals()["ns"] = Collection(*modules)
        return globals()["ns"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
