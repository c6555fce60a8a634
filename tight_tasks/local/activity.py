"""What ran, for the console and the dashboard: every invocation's source, status, time, event, response, logs.

:class:`Activity` wraps :meth:`LocalApp.call <tight_tasks.local.runner.LocalApp.call>`
of one app: each call gets the environment of its function (``TIGHT_QUEUES``...,
as deploy gives each function its own), its printed and logged lines are kept
(still written to the console), and the call is kept in a ring buffer the
dashboard reads.
"""
from __future__ import annotations

import collections
import itertools
import json
import logging
import os
import sys
import threading
import time
from typing import Any

#: Invocations kept for the dashboard.
KEPT = 200
#: Characters of an event, response or log kept per invocation.
SHOWN = 20_000
SOURCES = {"lambda_proxy": "http", "sqs": "sqs", "s3": "s3", "dynamodb_stream": "stream", "schedule": "schedule",
           "authorizer": "authorizer"}

_local = threading.local()


_lines = threading.Lock()


class _Tee:
    """A stream that writes whole lines through (threads' lines never mix: ``print`` writes in pieces)
    and also keeps what this thread writes during a call."""

    def __init__(self, stream):
        self.stream = stream
        self.pending = threading.local()

    def write(self, text: str) -> int:
        kept = getattr(_local, "lines", None)
        if kept is not None:
            kept.append(text)
        held = getattr(self.pending, "text", "") + text
        head, newline, self.pending.text = held.rpartition("\n")
        if newline:
            with _lines:
                self.stream.write(head + newline)
        return len(text)

    def flush(self) -> None:
        held, self.pending.text = getattr(self.pending, "text", ""), ""
        with _lines:
            if held:
                self.stream.write(held)
            self.stream.flush()

    def __getattr__(self, name: str):
        return getattr(self.stream, name)


class _Keep(logging.Handler):
    """Keeps this thread's log records during a call; alone on the root logger, also prints as Python would."""

    def emit(self, record: logging.LogRecord) -> None:
        if logging.getLogger().handlers == [self] and record.levelno >= logging.WARNING and logging.lastResort:
            logging.lastResort.handle(record)  # what Python prints when no handler is configured
        kept = getattr(_local, "lines", None)
        if kept is not None:
            try:
                kept.append(f"[{record.levelname}] {logging.Formatter().format(record)}\n")
            except Exception:  # noqa: BLE001,S110 - a broken log call never breaks the invocation
                pass


def _text(value: Any) -> str:
    try:
        text = json.dumps(value, indent=1, default=str)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= SHOWN else text[:SHOWN] + f"... ({len(text):,} characters)"


class Activity:
    """Records the calls of one :class:`~tight_tasks.local.runner.LocalApp`."""

    def __init__(self, app, environments: dict[str, dict[str, str]] | None = None):
        self.app = app
        self.environments = environments or {}
        self.recent: collections.deque[dict[str, Any]] = collections.deque(maxlen=KEPT)
        self.counter = itertools.count(1)
        self.changed = threading.Condition()
        self._call = app.call
        self._handler = _Keep()
        self._streams = (sys.stdout, sys.stderr)

    def start(self) -> None:
        """Wrap the app's calls and keep this thread's output during each."""
        self.app.call = self.call
        sys.stdout, sys.stderr = _Tee(sys.stdout), _Tee(sys.stderr)
        logging.getLogger().addHandler(self._handler)

    def stop(self) -> None:
        self.app.call = self._call
        if isinstance(sys.stdout, _Tee):
            sys.stdout = sys.stdout.stream
        if isinstance(sys.stderr, _Tee):
            sys.stderr = sys.stderr.stream
        logging.getLogger().removeHandler(self._handler)

    def call(self, function: str, event: Any, source: str | None = None) -> Any:
        """The app's call of ``function`` with its environment, recorded; raises what the call raises."""
        kind = self.app.settings.get(function, {}).get("type", "lambda_proxy")
        entry: dict[str, Any] = {"id": next(self.counter), "time": time.time(), "function": function,
                                 "source": source or SOURCES.get(kind, kind), "event": _text(event)}
        with self.app.lock:
            saved = {k: os.environ.get(k) for k in self.environments.get(function, {})}
            os.environ.update(self.environments.get(function, {}))
            _local.lines = lines = []
            started = time.perf_counter()
            try:
                result = self._call(function, event)
            except BaseException as exc:
                entry.update(status="error", response=f"{type(exc).__name__}: {exc}")
                raise
            else:
                entry.update(status=status_of(kind, result), response=_text(result))
                return result
            finally:
                entry["ms"] = round((time.perf_counter() - started) * 1000, 1)
                _local.lines = None
                entry["logs"] = "".join(lines)[-SHOWN:]
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value
                self.add(entry)

    def add(self, entry: dict[str, Any]) -> None:
        with self.changed:
            self.recent.append(entry)
            self.changed.notify_all()

    def since(self, last: int) -> list[dict[str, Any]]:
        return [entry for entry in list(self.recent) if entry["id"] > last]


def status_of(kind: str, result: Any) -> str:
    """What the console and the dashboard say of a call's result (HTTP: its status code)."""
    if kind == "lambda_proxy":
        code = result.get("statusCode") if isinstance(result, dict) else None
        return str(code) if code is not None else "ok"
    if isinstance(result, dict) and "errorType" in result:
        return "error"
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    return f"{len(failures)} failed" if failures else "ok"
