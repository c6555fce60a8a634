"""How ``tight deploy.logs`` shows and filters CloudWatch log events, in Lambda's text or JSON log format.

With ``deploy.log_format: json`` every line of the Python runtime's ``logging`` is a
JSON object (``timestamp``, ``level``, ``message``, ``logger``, ``requestId``, extra
fields such as tight's ``controller``, and ``errorType``/``stackTrace`` for exceptions),
and Lambda's own lines are ``platform.*`` records. :func:`readable` turns each into
one line (then the stack trace), :func:`keep` applies ``--level`` and
``--request-id``; text lines (``print``, the text format's ``[ERROR]\\t...\\tREQUEST\\t...``,
``START RequestId: ...``) pass through as they are. Pure: no AWS here.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

#: Lambda's log levels (its JSON and its LoggingConfig spell them so), lowest first; Python's names map on.
LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
ALIASES = {"WARNING": "WARN", "CRITICAL": "FATAL", "NOTSET": "TRACE"}
_TEXT_LEVEL = re.compile(r"\[(TRACE|DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)\]\t")
_TEXT_REQUEST = re.compile(r"RequestId: ([0-9a-fA-F-]{8,})|\t([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\t")
#: Keys every application record has, shown in the line's head rather than as key=value.
_HEAD = ("timestamp", "level", "message", "logger", "requestId", "errorType", "errorMessage", "stackTrace",
         "location")


def level_name(value: str) -> str | None:
    """``warning`` -> ``WARN``; None when it is no level."""
    name = str(value or "").strip().upper()
    name = ALIASES.get(name, name)
    return name if name in LEVELS else None


def parse(message: str) -> dict[str, Any] | None:
    """The JSON record in a log event's message, or None for a text line."""
    text = message.strip()
    if not text.startswith("{"):
        return None
    try:
        record = json.loads(text)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def level_of(message: str, record: Mapping[str, Any] | None) -> str | None:
    if record is not None:
        return level_name(record.get("level", ""))
    found = _TEXT_LEVEL.match(message)
    return level_name(found.group(1)) if found else None


def request_of(message: str, record: Mapping[str, Any] | None) -> str | None:
    if record is not None:
        inner = record.get("record")
        return record.get("requestId") or (inner.get("requestId") if isinstance(inner, Mapping) else None)
    found = _TEXT_REQUEST.search(message)
    return (found.group(1) or found.group(2)) if found else None


def keep(message: str, record: Mapping[str, Any] | None, level: str | None, request_id: str | None) -> bool:
    """Whether an event passes ``--level`` (that level or above; lines without a level are left out)
    and ``--request-id`` (the request's own lines, Lambda's START/END/REPORT included)."""
    if level is not None:
        found = level_of(message, record)
        if found is None or LEVELS.index(found) < LEVELS.index(level):
            return False
    return request_id is None or request_of(message, record) == request_id


def _platform(record: Mapping[str, Any]) -> str:
    kind = str(record.get("type", "")).removeprefix("platform.")
    inner = record.get("record") if isinstance(record.get("record"), Mapping) else {}
    head = f"{kind.upper()} {inner.get('requestId', '')}".rstrip()
    metrics = inner.get("metrics") if isinstance(inner.get("metrics"), Mapping) else {}
    parts = [f"{name} {metrics[key]}{unit}" for key, name, unit in (
        ("durationMs", "duration", " ms"), ("billedDurationMs", "billed", " ms"), ("initDurationMs", "init", " ms"),
        ("maxMemoryUsedMB", "memory used", " MB"), ("memorySizeMB", "of", " MB")) if key in metrics]
    for key in ("status", "errorType", "version", "runtimeVersion"):
        if inner.get(key):
            parts.append(f"{key} {inner[key]}")
    return head + (": " + ", ".join(parts) if parts else "")


def readable(message: str, record: Mapping[str, Any] | None) -> str:
    """One event as people read it: ``LEVEL [request] message (logger, key=value...)``, then the stack trace."""
    if record is None:
        return message.rstrip()
    if str(record.get("type", "")).startswith("platform."):
        return _platform(record)
    level = level_name(record.get("level", "")) or "-"
    request = record.get("requestId")
    text = str(record.get("message", "")).rstrip()
    if record.get("errorType") and record.get("errorMessage") and record.get("errorMessage") not in text:
        text += f" ({record['errorType']}: {record['errorMessage']})"
    extra = [f"{key}={json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value}"
             for key, value in record.items() if key not in _HEAD]
    details = ", ".join([str(record["logger"])] * bool(record.get("logger")) + extra)
    line = f"{level:<5} {f'[{request}] ' if request else ''}{text}{f'  ({details})' if details else ''}"
    trace = record.get("stackTrace")
    if isinstance(trace, list) and trace:
        line += "\n" + "".join(str(frame) if str(frame).endswith("\n") else f"{frame}\n" for frame in trace).rstrip()
    return line
