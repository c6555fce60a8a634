"""Name the source of a Lambda event, for the log line of a function given the wrong kind."""
from __future__ import annotations

from collections.abc import Mapping

TYPE_CHECKING = False  # typing is not imported at cold start
if TYPE_CHECKING:
    from typing import Any

RECORD_SOURCES = {
    "aws:sqs": "an SQS event",
    "aws:s3": "an S3 notification",
    "aws:dynamodb": "a DynamoDB stream event",
    "aws:kinesis": "a Kinesis event",
    "aws:sns": "an SNS event",
}


def records(event: Any) -> list:
    """``event['Records']`` when it is a list of mappings, else []."""
    found = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(found, list):
        return []
    return [record for record in found if isinstance(record, Mapping)]


def record_source(record: Mapping[str, Any]) -> str | None:
    """``eventSource`` (SQS, S3, DynamoDB) or ``EventSource`` (SNS) of a record."""
    return record.get("eventSource") or record.get("EventSource")


def has_records_from(event: Any, source: str) -> bool:
    """True when ``event`` carries at least one record and every record comes from ``source``."""
    found = records(event)
    if not found or len(found) != len(event.get("Records")):
        return False
    return all(record_source(record) == source for record in found)


def describe(event: Any) -> str:
    """A short human description of what ``event`` looks like ("an API Gateway REST (1.0) event")."""
    if not isinstance(event, Mapping):
        return f"a {type(event).__name__}, not an event object"
    found = records(event)
    if found:
        return RECORD_SOURCES.get(record_source(found[0]) or "", "an event with unknown Records")
    context = event.get("requestContext") if isinstance(event.get("requestContext"), Mapping) else {}
    if "elb" in context:
        return "an ALB request"
    if "httpMethod" in event:
        return "an API Gateway REST (1.0) event"
    if "http" in context:
        return "an HTTP API or Function URL (2.0) event"
    if "detail-type" in event and "source" in event:
        return "an EventBridge event"
    if not event:
        return "an empty event"
    keys = ", ".join(sorted(str(key) for key in event)[:5])
    return f"an unrecognised event (keys: {keys})"
