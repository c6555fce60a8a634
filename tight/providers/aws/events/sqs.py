"""Read SQS messages as Lambda's event source mapping delivers them (``Records[]``, ``eventSource: aws:sqs``)."""
from __future__ import annotations

import json
from collections.abc import Mapping

TYPE_CHECKING = False  # typing is not imported at cold start
if TYPE_CHECKING:
    from typing import Any

from .kinds import has_records_from, records

SOURCE = "aws:sqs"


def is_sqs_event(event: Any) -> bool:
    return has_records_from(event, SOURCE)


def messages(event: Any) -> list[Mapping[str, Any]]:
    """The message records of an SQS event."""
    return records(event)


def message_body(record: Mapping[str, Any]) -> Any:
    """The message body: JSON-decoded when it is JSON, else the text as sent."""
    body = record.get("body")
    if not isinstance(body, str):
        return body
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: valid JSON nested deeper than Python decodes
        return body


def message_id(record: Mapping[str, Any]) -> str | None:
    return record.get("messageId")


def is_fifo(record: Mapping[str, Any]) -> bool:
    """True for a message from a FIFO queue (it carries a MessageGroupId; order matters)."""
    attributes = record.get("attributes")
    return isinstance(attributes, Mapping) and "MessageGroupId" in attributes

