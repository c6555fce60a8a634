"""Real-shaped AWS events (tests/events/*.json) and handler registration for the event-source tests."""
from __future__ import annotations

import copy
import json
from pathlib import Path

from tight.providers.aws.controllers import registry

HERE = Path(__file__).resolve().parent
_CACHE: dict[str, dict] = {}


def load_event(name: str) -> dict:
    """A fresh copy of ``tests/events/<name>.json``."""
    if name not in _CACHE:
        _CACHE[name] = json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))
    return copy.deepcopy(_CACHE[name])


def as_handler_of(controller: str, decorator, function):
    """Register ``function`` with ``decorator`` as if it lived in app/functions/<controller>/handler.py."""
    registry.forget(controller)
    function.__module__ = f"app.functions.{controller}.handler"
    return decorator(function)
