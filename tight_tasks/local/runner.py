"""The app in this process: import ``app_index``, answer requests through it, reload it when files change.

:class:`LocalApp` owns the app's code: it imports ``app_index`` (with the app
root first on ``sys.path``, as Lambda's task root), matches requests to routes
(:mod:`tight.dev.routes`), shapes events and responses (:mod:`tight.dev.gateway`)
and calls ``app_index.<function>(event, context)``. Reloading purges the app's
modules (``app``, ``app.*``, ``app_index``) and tight's runtime (its handler
registry lives there) from ``sys.modules``: the database and the HTTP server
keep running.
"""
from __future__ import annotations

import importlib
import os
import sys
import threading
import time
import traceback
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

from tight.dev import gateway
from tight.dev.routes import FunctionsConfigError, RouteTable, function_settings, routes

from ..console import say, warn

#: Top-level names whose modules are dropped on reload.
PURGED = ("app", "app_index", "tight.providers")
WATCHED_SUFFIXES = (".py", ".yml", ".yaml", ".json")
SKIPPED_DIRS = {"__pycache__", "vendored", ".git", "node_modules"}


class AppError(Exception):
    """The app cannot be loaded or called; the message is one line."""


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """``{path: (mtime_ns, size)}`` of the files whose change reloads the app."""
    found: dict[str, tuple[int, int]] = {}
    candidates = [root / "app_index.py", root / "tight.yml", root / "tight.yaml"]
    for path in candidates:
        try:
            stat = path.stat()
        except OSError:
            continue
        found[str(path)] = (stat.st_mtime_ns, stat.st_size)
    for folder, dirs, files in os.walk(root / "app"):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.startswith(".")]
        for name in files:
            if name.endswith(WATCHED_SUFFIXES) and not name.startswith("."):
                path = os.path.join(folder, name)
                try:
                    stat = os.stat(path)
                except OSError:
                    continue
                found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


def changed_files(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> list[str]:
    return sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))


def recompile(paths: list[str]) -> None:
    """Rewrite the bytecode cache of changed sources with a hash check.

    Python trusts a ``.pyc`` whose recorded mtime (whole seconds) and size match
    the source: an edit in the same second that keeps the size would run the old
    code. A hash-checked ``.pyc`` is only used for the exact source it came from.
    Only caches that exist are rewritten (``PYTHONDONTWRITEBYTECODE`` is respected).
    """
    import importlib.util
    import py_compile

    for path in paths:
        if path.endswith(".py") and os.path.isfile(path) and os.path.isfile(importlib.util.cache_from_source(path)):
            try:
                py_compile.compile(path, doraise=True, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
            except (py_compile.PyCompileError, OSError, ValueError):
                pass  # the import reports a syntax error; an unwritable cache just is not used


def purge_modules() -> None:
    for name in list(sys.modules):
        if any(name == top or name.startswith(top + ".") for top in PURGED):
            del sys.modules[name]


def read_tight_yml(root: Path) -> dict[str, Any]:
    from tight.dev.env import CONFIG_NAMES, read_mapping

    for name in CONFIG_NAMES:
        if (root / name).is_file():
            return read_mapping(root / name)
    return {}


class LocalApp:
    """One app, loaded in this process. Calls are serialized (one invocation at a time, as one Lambda)."""

    def __init__(self, root: str | os.PathLike, payload: str = "1.0", stage: str = "local"):
        self.root = Path(root).absolute()
        self.payload = payload
        self.stage = stage
        self.lock = threading.RLock()
        self.module: ModuleType | None = None
        self.load_error: str | None = None
        self.function_errors: dict[str, str] = {}
        self.names: list[str] = []
        self.settings: dict[str, dict[str, Any]] = {}
        self.table = RouteTable([])
        self.guard = None
        self.stale = False
        self._files = snapshot(self.root)
        self._changed: set[str] = set()

    # -- loading ---------------------------------------------------------------------
    def configure(self) -> None:
        """Read the function names and tight.yml's ``functions:`` (raises :class:`AppError`)."""
        from tight.dev.env import EnvFileError
        from tight.providers.aws.lambda_app.app import function_names

        names = function_names(self.root)
        try:
            config = read_tight_yml(self.root)
            self.settings = function_settings(config, names)
            self.table = RouteTable(routes(config, names))
        except (FunctionsConfigError, EnvFileError) as exc:
            raise AppError(f"tight.yml: {exc}") from None
        from .guard import Guard

        self.guard = Guard(self.root, config, self.settings, self.payload, self.stage, self.call)
        self.names = names

    def load(self) -> None:
        """(Re)import ``app_index`` and every function's handler.

        Failures are kept, not raised: :attr:`load_error` (app_index) or
        :attr:`function_errors` (one handler) make those requests answer 502.
        """
        with self.lock:
            purge_modules()
            self.module, self.load_error, self.function_errors = None, None, {}
            if str(self.root) not in sys.path[:1]:
                sys.path.insert(0, str(self.root))
            importlib.invalidate_caches()
            try:
                self.module = importlib.import_module("app_index")
            except Exception as exc:  # noqa: BLE001 - a syntax error or anything else in user code
                self.load_error = f"cannot import app_index: {type(exc).__name__}: {exc}"
                traceback.print_exc()
            for name in self.names if self.module is not None else ():
                try:  # the runtime imports handlers lazily: import them now, for the banner and fast requests
                    getattr(self.module, name)
                except Exception as exc:  # noqa: BLE001
                    self.function_errors[name] = (f"cannot import app/functions/{name}/handler.py: "
                                                  f"{type(exc).__name__}: {exc}")
                    traceback.print_exc()
            self.stale = False

    def start(self) -> None:
        self.configure()
        self.load()

    def poll(self) -> list[str]:
        """Files changed since the last poll; marks the app for reload before the next request."""
        current = snapshot(self.root)
        changed = changed_files(self._files, current)
        self._files = current
        if changed:
            with self.lock:
                self._changed.update(changed)
            self.stale = True
        return changed

    def reload_if_stale(self) -> None:
        with self.lock:
            if not self.stale:
                return
            try:
                self.configure()
            except AppError as exc:
                # The runtime reads tight.yml too (lambda_app's environment): re-importing the app now would
                # break every function. Keep the loaded code and routes; the fix of tight.yml reloads both.
                self.stale = False
                warn(f"{exc} (keeping the previous routes and code until it is fixed)")
                return
            changed, self._changed = sorted(self._changed), set()
            recompile(changed)
            self.load()

    # -- calling ---------------------------------------------------------------------
    def methods(self, function: str) -> list[str]:
        """The HTTP methods ``function``'s handler module registered (empty when unknown)."""
        controllers = sys.modules.get("tight.providers.aws.controllers.lambda_proxy_event")
        found = getattr(controllers, "handlers", None)
        return sorted(found(function)) if found else []

    def call(self, function: str, event: Any) -> Any:
        """``app_index.<function>(event, context)``; raises :class:`AppError` when it cannot run."""
        with self.lock:
            self.reload_if_stale()
            if self.module is None:
                raise AppError(self.load_error or "app_index is not loaded")
            if function in self.function_errors:
                raise AppError(self.function_errors[function])
            handler = getattr(self.module, function, None)
            if not callable(handler):
                raise AppError(f"app_index has no function {function!r} (functions: {', '.join(self.names)})")
            settings = self.settings.get(function, {})
            timeout = settings.get("timeout", 30)
            context = gateway.LambdaContext(function, settings.get("memory", 256), timeout, _request_id(event),
                                            os.environ.get("AWS_REGION") or "us-east-1")
            started = time.perf_counter()
            result = handler(event, context)
            took = time.perf_counter() - started
            if took > timeout:  # not stopped here (a debugger may be attached), but reported as AWS would fail it
                raise AppError(f"ran {took:.1f} s, past its {timeout} s timeout (functions.{function}.timeout): "
                               "Lambda would have stopped it")
            return result

    def route_hint(self, shown: int = 8) -> str:
        """One line for the console: the paths that do have a route."""
        paths = [route.path for route in self.table.routes]
        if not paths:
            return "no route matches: the app serves no HTTP paths (add one with `tight generate.function NAME`)"
        more = f" and {len(paths) - shown} more" if len(paths) > shown else ""
        return f"no route matches; routes: {', '.join(paths[:shown])}{more}"

    def handle(self, request: gateway.Request) -> tuple[gateway.HttpResponse, str | None]:
        """Answer one HTTP request: ``(response, function name or None)``."""
        with self.lock:
            self.reload_if_stale()
            match = self.table.match(request.path)
            if match is None:
                return gateway.no_route(self.payload, self.route_hint()), None
            function = match.route.function
            event = gateway.build_event(request, match, self.payload, self.stage)
            problem = gateway.over_lambda_limit("event", event)
            if problem:
                return gateway.too_large(len(request.body))._replace(error=f"{function}: {problem}"), function
            refused = self.guard.admit(request, match, event) if self.guard else None
            if refused is not None:
                return refused, function
            try:
                result = self.call(function, event)
            except AppError as exc:
                return gateway.bad_gateway(f"{function}: {exc}"), function
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # noqa: BLE001 - crashed or exited: API Gateway answers 502
                traceback.print_exc()
                return gateway.bad_gateway(f"{function} raised {type(exc).__name__}: {exc}"), function
            problem = gateway.over_lambda_limit("response", result)
            if problem:
                return gateway.bad_gateway(f"{function}: {problem}"), function
            return gateway.http_response(result, self.payload), function


def _request_id(event: Any) -> str:
    context = event.get("requestContext") if isinstance(event, dict) else None
    value = context.get("requestId") if isinstance(context, dict) else None
    return str(value) if value else str(uuid.uuid4())


class Watcher(threading.Thread):
    """Polls the app's files every ``interval`` seconds; announces changes."""

    def __init__(self, app: LocalApp, interval: float = 0.25):
        super().__init__(name="tight-reloader", daemon=True)
        self.app, self.interval = app, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                changed = self.app.poll()
            except OSError:
                continue
            if changed:
                shown = ", ".join(os.path.relpath(p, self.app.root) for p in changed[:3])
                more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
                say(f"Reloading: {shown}{more} changed.")

    def stop(self) -> None:
        self.stopped.set()


def monotonic_ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000
