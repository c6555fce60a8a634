"""Turn an app's ``app_index`` module into the Lambda entry points of its controllers.

The generated ``app_index.py`` ends with ``lambda_app.run()``; after it,
``app_index.<controller>(event, context)`` exists for every
``app/functions/<controller>/handler.py`` (found relative to ``app_index.py``,
not the current directory), and is what a Lambda function's handler setting
names (``app_index.my_controller``).
"""
from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from tight.providers.aws.controllers import lambda_proxy_event, registry

LOG = logging.getLogger("tight.lambda_app")

FUNCTIONS_PACKAGE = "app.functions"


def function_names(app_root: str | os.PathLike) -> list[str]:
    """Sorted names of ``app/functions/<name>/handler.py`` under ``app_root``."""
    functions = Path(app_root) / "app" / "functions"
    if not functions.is_dir():
        return []
    names = []
    for entry in sorted(functions.iterdir()):
        if not (entry / "handler.py").is_file() or entry.name.startswith((".", "_")):
            continue
        if not entry.name.isidentifier():
            LOG.warning("Skipping app/functions/%s: not a valid Python package name", entry.name)
            continue
        names.append(entry.name)
    return names


def entry_point(controller: str) -> Callable[[Any, Any], dict]:
    """``handler(event, context)`` for Lambda: dispatches to ``controller``'s handlers."""

    def handler(event, context=None):
        dispatch = registry.dispatcher(controller) or lambda_proxy_event.dispatch
        return dispatch(controller, event, context)

    handler.__name__ = handler.__qualname__ = controller
    handler.__doc__ = f"Lambda entry point of app/functions/{controller}."
    return handler


def _import_handler(root: Path, name: str) -> ModuleType:
    module_name = f"{FUNCTIONS_PACKAGE}.{name}.handler"
    module = importlib.import_module(module_name)
    location = Path(getattr(module, "__file__", "") or "").resolve()
    expected = (root / "app" / "functions" / name / "handler.py").resolve()
    if location != expected:
        raise ImportError(
            f"{module_name} was imported from {location}, not {expected}: "
            "another package named 'app' is on sys.path before this app"
        )
    return module


def create(module: ModuleType) -> list[str]:
    """Import every handler of the app ``module`` belongs to and attach its entry point.

    Returns the controller names, sorted.
    """
    root = Path(module.__file__).resolve().parent
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    names = function_names(root)
    for name in names:
        _import_handler(root, name)
        setattr(module, name, entry_point(name))
    module.__dict__.setdefault("__tight_controllers__", [])[:] = names
    return names


def run() -> list[str]:
    """``create()`` for the module that calls this (the app's ``app_index``)."""
    caller = sys._getframe(1).f_globals.get("__name__")
    module = sys.modules.get(caller) if caller else None
    if module is None or not getattr(module, "__file__", None):
        raise RuntimeError("lambda_app.run() must be called from a module file such as app_index.py")
    return create(module)
