"""Read EventBridge events, the scheduled rule's among them (``detail-type: Scheduled Event``)."""
from __future__ import annotations

from collections.abc import Mapping

TYPE_CHECKING = False  # typing is not imported at cold start
if TYPE_CHECKING:
    from typing import Any

def is_eventbridge_event(event: Any) -> bool:
    """True for an EventBridge event: ``source``, ``detail-type`` and ``time`` present, no Records."""
    return (isinstance(event, Mapping) and "Records" not in event
            and all(key in event for key in ("source", "detail-type", "time")))


def detail(event: Mapping[str, Any]) -> Any:
    """The event's ``detail`` ({} for a scheduled rule)."""
    value = event.get("detail")
    return {} if value is None else value


def rule_names(event: Mapping[str, Any]) -> list[str]:
    """Names of the rules in ``resources`` (``arn:aws:events:...:rule/NAME`` -> ``NAME``)."""
    names = []
    for arn in event.get("resources") or []:
        if isinstance(arn, str) and ":rule/" in arn:
            names.append(arn.split(":rule/", 1)[1])
    return names
