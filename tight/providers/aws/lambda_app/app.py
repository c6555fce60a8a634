"""Turn an app's ``app_index`` module into the Lambda entry points of its controllers.

The generated ``app_index.py`` ends with ``lambda_app.run()``; after it,
``app_index.<controller>`` exists for every ``app/functions/<controller>/handler.py``
(found relative to ``app_index.py``, not the current directory), and is what a Lambda
function's handler setting names (``app_index.my_controller``).

Lazy: ``run()`` only lists the controllers and applies the packaged environment
(:mod:`.environment`), resolving secret references (:mod:`.secrets`); ``app_index.<controller>`` imports that controller's handler
module on first access, so a function imports only its own code. When the handler
cannot be imported because an environment variable is missing, the function logs one
line naming it and answers 500 (HTTP events) or raises (other events); the app's
other functions are unaffected.
"""
from __future__ import annotations

import os
import sys

from tight.providers.aws.controllers import registry
from tight.providers.aws.lambda_app import environment, secrets

TYPE_CHECKING = False  # typing, pathlib, importlib and logging stay out of the cold start
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType
    from typing import Any

FUNCTIONS_PACKAGE = "app.functions"
NO_HANDLER = (
    "app/functions/{controller}/handler.py registers no handler for this event: decorate one "
    "(e.g. @sqs_event.message or @lambda_proxy.get); the invocation fails so the event is retried"
)
MISSING_ENV = ("Environment variable {name} is not set: app/functions/{controller} cannot start. "
               "Set it in the function's configuration, or in env.dist.yml and package again")


def _log():
    import logging

    return logging.getLogger("tight.lambda_app")


def function_names(app_root: str | os.PathLike) -> list[str]:
    """Sorted names of ``app/functions/<name>/handler.py`` under ``app_root``."""
    functions = os.path.join(os.fspath(app_root), "app", "functions")
    try:
        entries = sorted(os.listdir(functions))
    except OSError:
        return []
    names = []
    for entry in entries:
        if not os.path.isfile(os.path.join(functions, entry, "handler.py")) or entry.startswith((".", "_")):
            continue
        if not entry.isidentifier():
            _log().warning("Skipping app/functions/%s: not a valid Python package name", entry)
            continue
        names.append(entry)
    return names


def entry_point(controller: str) -> Callable[[Any, Any], Any]:
    """``handler(event, context)`` for Lambda: dispatches to ``controller``'s handlers."""

    def handler(event, context=None):
        dispatch = registry.dispatcher(controller)
        if dispatch is None or registry.source(controller) == "http":
            if not _is_http(event):
                # An SQS/S3/stream batch answered "405" would count as handled and be deleted:
                # fail the invocation so the source retries it (and the log says why).
                raise _not_http(controller, event, registered=dispatch is not None)
            if dispatch is None:
                from tight.providers.aws.controllers import lambda_proxy_event

                dispatch = lambda_proxy_event.dispatch
        return dispatch(controller, event, context)

    handler.__name__ = handler.__qualname__ = controller
    handler.__doc__ = f"Lambda entry point of app/functions/{controller}."
    return handler


def _not_http(controller: str, event: Any, registered: bool) -> Exception:
    """The error (logged in one line) for an event that is not an HTTP request, given to ``controller``."""
    from tight.providers.aws.controllers import records

    if registered:
        return records.wrong_event(controller, "HTTP requests", event)
    message = NO_HANDLER.format(controller=controller)
    records.log().error(message)
    return records.NoHandler(message)


def _is_http(event: Any) -> bool:
    if not isinstance(event, dict):
        return False
    context = event.get("requestContext")
    return "httpMethod" in event or (isinstance(context, dict) and ("http" in context or "elb" in context))


def unavailable(controller: str, variable: str) -> Callable[[Any, Any], Any]:
    """The entry point of a controller whose handler needs the missing env ``variable``."""
    failed = secrets.FAILED.get(variable)
    message = (f"{failed}: app/functions/{controller} cannot start" if failed else
               MISSING_ENV.format(name=variable, controller=controller))

    def handler(event, context=None):
        _log().error(message, extra={"controller": controller, "variable": variable})
        if _is_http(event):
            from tight.providers.aws.controllers import lambda_proxy_event

            return lambda_proxy_event.error_response(event, context, 500, "Internal server error")
        raise RuntimeError(message)

    handler.__name__ = handler.__qualname__ = controller
    handler.__doc__ = message
    return handler


def _import_handler(root: str, name: str) -> ModuleType:
    module_name = f"{FUNCTIONS_PACKAGE}.{name}.handler"
    __import__(module_name)
    module = sys.modules[module_name]
    location = os.path.realpath(getattr(module, "__file__", "") or "")
    expected = os.path.realpath(os.path.join(root, "app", "functions", name, "handler.py"))
    if location != expected:
        raise ImportError(
            f"{module_name} was imported from {location}, not {expected}: "
            "another package named 'app' is on sys.path before this app"
        )
    return module


def load(module: ModuleType, name: str) -> Callable[[Any, Any], Any]:
    """Import controller ``name``'s handler and attach its entry point to ``module``."""
    root = os.path.dirname(os.path.realpath(module.__file__))
    try:
        _import_handler(root, name)
    except KeyError as exc:
        variable = exc.args[0] if exc.args else None
        if not isinstance(variable, str) or variable in os.environ:
            raise
        entry = unavailable(name, variable)  # logs its one line per invocation
    else:
        entry = entry_point(name)
    setattr(module, name, entry)
    return entry


def create(module: ModuleType) -> list[str]:
    """Make ``module`` (the app's ``app_index``) expose one lazy entry point per controller.

    Returns the controller names, sorted.
    """
    root = os.path.dirname(os.path.realpath(module.__file__))
    if root not in sys.path:
        sys.path.insert(0, root)
    environment.apply(root)
    secrets.resolve()
    names = function_names(root)
    known = frozenset(names)
    module.__dict__.setdefault("__tight_controllers__", [])[:] = names

    def __getattr__(attribute: str):
        if attribute in known:
            return load(module, attribute)
        raise AttributeError(f"module {module.__name__!r} has no attribute {attribute!r}")

    def __dir__():
        return sorted(set(module.__dict__) | known)

    module.__getattr__ = __getattr__
    module.__dir__ = __dir__
    return names


def run() -> list[str]:
    """``create()`` for the module that calls this (the app's ``app_index``)."""
    caller = sys._getframe(1).f_globals.get("__name__")
    module = sys.modules.get(caller) if caller else None
    if module is None or not getattr(module, "__file__", None):
        raise RuntimeError("lambda_app.run() must be called from a module file such as app_index.py")
    return create(module)
