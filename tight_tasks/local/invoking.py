"""``tight local.invoke NAME``: one function, in process, with an event from a file, stdin or flags."""
from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from pathlib import Path
from typing import IO, Any

from tight.dev import gateway
from tight.dev.routes import Match, Route

from ..config import fail, usage_error
from ..console import say
from .environment import app_environment
from .runner import AppError, LocalApp

#: Lambda's limit on a synchronous invocation's payload (bytes): a bigger event never reaches a function.
EVENT_LIMIT = 6 * 1024 * 1024


def _read_limited(source: str, stdin: IO[str] | None) -> str:
    """At most :data:`EVENT_LIMIT` (+1) bytes of ``source``; a directory, device or FIFO is an OSError."""
    if source == "-":
        stream = stdin or sys.stdin
        if stream is None:  # descriptor 0 was closed when Python started
            raise OSError(9, "stdin is closed: pipe the event in, e.g. --event - < event.json")
        raw = stream.buffer.read(EVENT_LIMIT + 1) if hasattr(stream, "buffer") else stream.read(EVENT_LIMIT + 1)
    else:
        path = Path(source)
        if path.exists() and not path.is_file():
            raise IsADirectoryError(21, "Is a directory" if path.is_dir() else "not a regular file")
        with path.open("rb") as handle:
            raw = handle.read(EVENT_LIMIT + 1)
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    if len(data) > EVENT_LIMIT:
        raise ValueError(f"over Lambda's {EVENT_LIMIT:,}-byte invocation payload limit")
    return data.decode("utf-8")


def read_event(source: str, stdin: IO[str] | None = None) -> dict[str, Any]:
    """The JSON event (an object) in file ``source`` (``-``: stdin); one-line errors when missing or invalid."""
    where = "stdin" if source == "-" else source
    try:
        text = _read_limited(source, stdin)
    except FileNotFoundError:
        raise fail(f"--event {source}: no such file.") from None
    except (OSError, ValueError) as exc:
        raise fail(f"--event {where}: cannot read it ({getattr(exc, 'strerror', None) or exc}).") from None
    try:
        event = json.loads(text)
    except ValueError as exc:
        raise fail(f"--event {where}: invalid JSON ({exc}).") from None
    except RecursionError:
        raise fail(f"--event {where}: its JSON is nested too deeply to read (no event API Gateway or a queue "
                   "sends nests that far).") from None
    if not isinstance(event, dict):
        raise fail(f"--event {where}: an event is a JSON object ({{...}}), got {type(event).__name__}.")
    return event


def parse_headers(values: list[str] | None) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in values or []:
        name, sep, text = value.partition("=")
        if not sep or not name.strip():
            raise usage_error(f"--header {value!r} must look like name=value.")
        pairs.append((name.strip(), text))
    return tuple(pairs)


def event_from_flags(app: LocalApp, function: str, payload: str, method: str = "GET", path: str | None = None,
                     body: str | None = None, headers: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    """The event API Gateway would send ``function`` for this request (path default ``/NAME``)."""
    path, _, query = (path or f"/{function}").partition("?")
    if not path.startswith("/"):
        path = "/" + path
    if not any(k.lower() == "host" for k, _ in headers):
        headers = (("Host", "localhost"), *headers)
    request = gateway.Request(method=(method or "GET").upper(), path=path, query=query, headers=headers,
                              body=(body or "").encode("utf-8"))
    match = app.table.match(path)
    if match is None or match.route.function != function:
        match = Match(Route(function, path), {})
    return gateway.build_event(request, match, payload, app.stage)


def sample_event(app: LocalApp, function: str, body: str | None, http_flags: bool) -> dict[str, Any] | None:
    """A sample event for a non-HTTP function (``--body``: the SQS message, S3 key or stream's new image)."""
    from tight.dev import sample_events

    settings = app.settings.get(function, {})
    kind = settings.get("type", "lambda_proxy")
    if kind == "lambda_proxy":
        return None
    if http_flags:
        raise usage_error(f"{function} is a {kind} function: --method, --path and --header apply to HTTP "
                          "functions only (use --body, or --event FILE).")
    prefix = "-".join(os.environ[k] for k in ("NAME", "STAGE") if os.environ.get(k))
    try:
        return sample_events.for_function(function, settings, body, f"{prefix}-" if prefix else "", app.payload)
    except ValueError as exc:
        raise usage_error(f"--body for {kind} function {function}: {exc}.") from None


def _database_error(database: dict[str, Any] | None) -> None:
    """Fail when the embedded DynamoDB, started on the function's first call, could not start."""
    lazy = (database or {}).get("lazy")
    if lazy is not None and lazy.started.is_set() and lazy.error:
        raise fail(f"The embedded DynamoDB did not start: {lazy.error}")


def invoke(root: Path, function: str, payload: str, event_file: str | None = None, method: str | None = None,
           path: str | None = None, body: str | None = None, headers: list[str] | None = None, db: bool = True,
           ) -> None:
    """Call ``app_index.<function>`` once and print its response as JSON (logs go to stderr)."""
    header_pairs = parse_headers(headers)
    if event_file and (method or path or body or header_pairs):
        raise usage_error("--event gives the whole event: leave out --method, --path, --body and --header.")
    app = LocalApp(root, payload)
    try:
        app.configure()
    except AppError as exc:
        raise fail(str(exc)) from None
    if function not in app.names:
        raise fail(f"No function {function!r} in app/functions (functions: {', '.join(app.names) or 'none'}).")
    event = read_event(event_file) if event_file else None
    uses = app.settings.get(function, {}).get("uses")
    with app_environment(root, (True if uses else "lazy") if db else False) as database, \
            contextlib.redirect_stdout(sys.stderr):
        app.stage = os.environ.get("STAGE") or "local"
        if uses and database is not None:  # queues.send / buckets.name reach the engine's queues and buckets
            from .running import sender_environment

            made = sender_environment(app, database, function)
            say(f"Local queues and buckets for {function}: {', '.join(made)} (nothing consumes them here: "
                "`tight local.serve` delivers to their functions)")
        if event is None:
            event = sample_event(app, function, body, bool(method or path or header_pairs))
        if event is None:
            event = event_from_flags(app, function, payload, method or "GET", path, body, header_pairs)
        app.load()
        try:
            response = app.call(function, event)
        except AppError as exc:
            raise fail(f"{function}: {exc}") from None
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - the function crashed or called sys.exit
            if not getattr(exc, "one_line", False):  # WrongEventType...: the runtime logged why, in one line
                traceback.print_exc()
            _database_error(database)
            raise fail(f"{function} raised {type(exc).__name__}: {exc}") from None
        _database_error(database)
    pretty = sys.stdout.isatty()
    try:
        text = json.dumps(response, indent=2 if pretty else None, default=str)
    except (TypeError, ValueError) as exc:
        raise fail(f"{function} returned something that is not JSON: {exc}") from None
    say(text)
