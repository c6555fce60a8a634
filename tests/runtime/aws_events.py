"""Load the real-shaped Lambda events of tests/runtime/events/ (see its README)."""
from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path

EVENTS = Path(__file__).resolve().parent / "events"
HTTP_SOURCES = ("rest_v1", "http_api_v2", "function_url", "alb_single", "alb_multi")


@cache
def _read(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))


def load(name: str, method: str | None = None, **changes) -> dict:
    """A fresh copy of event ``name``; ``method`` rewrites the HTTP method where the source keeps it."""
    event = copy.deepcopy(_read(name))
    if method is not None:
        if "httpMethod" in event:
            event["httpMethod"] = method
            if "httpMethod" in event.get("requestContext", {}):
                event["requestContext"]["httpMethod"] = method
        else:
            event["requestContext"]["http"]["method"] = method
            event["routeKey"] = event["requestContext"]["routeKey"] = (
                "$default" if event["routeKey"] == "$default" else f"{method} {event['routeKey'].split(' ', 1)[1]}")
    event.update(changes)
    return event


def set_header(event: dict, name: str, value: str) -> dict:
    """Set a header (replacing any spelling of it) the way the event's source carries it."""
    for key in ("multiValueHeaders", "headers"):
        for existing in [k for k in event.get(key) or {} if k.lower() == name.lower()]:
            del event[key][existing]
    if "multiValueHeaders" in event:
        event["multiValueHeaders"][name] = [value]
    if "headers" in event:
        event["headers"][name] = value
    return event
