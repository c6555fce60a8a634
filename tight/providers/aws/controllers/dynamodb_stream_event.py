"""Controllers for DynamoDB streams (Lambda event source mapping, partial batch responses).

``app/functions/<controller>/handler.py``::

    import tight.providers.aws.controllers.dynamodb_stream_event as dynamodb_stream_event

    @dynamodb_stream_event.record
    def handle(event_name, keys, new_image, old_image):
        ...

The handler is called once per stream record with ``event_name`` (``INSERT``,
``MODIFY`` or ``REMOVE``), ``keys``, ``new_image`` and ``old_image`` as plain
Python values (None when the stream's view type leaves an image out), plus
``record``, ``context`` and ``event``. Records are processed in stream order;
the first one whose handler raises stops the batch and is reported in
``{"batchItemFailures": [{"itemIdentifier": <SequenceNumber>}]}`` with the ones
after it, so Lambda retries from there (the event source mapping needs
``FunctionResponseTypes: [ReportBatchItemFailures]``; ``tight deploy`` sets it).
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at cold start
if TYPE_CHECKING:
    from collections.abc import Mapping
    TYPE_CHECKING = False  # typing is not imported at cold start
if TYPE_CHECKING:
    from typing import Any

from tight.providers.aws.controllers import records as _records
from tight.providers.aws.events import stream

__all__ = ["SOURCE", "dispatch", "handler_of", "record"]

SOURCE = "dynamodb_stream"
_HANDLERS: dict[str, _records.Handler] = {}


def handler_of(controller: str) -> _records.Handler | None:
    return _HANDLERS.get(controller)


def _arguments(event: Any, context: Any):
    def arguments(item: Mapping[str, Any]) -> dict[str, Any]:
        change = stream.change(item)
        return {
            "event_name": item.get("eventName"),
            "keys": stream.deserialize(change.get("Keys")) or {},
            "new_image": stream.deserialize(change.get("NewImage")),
            "old_image": stream.deserialize(change.get("OldImage")),
            "record": item,
            "context": context,
            "event": event,
        }

    return arguments


def dispatch(controller: str, event: Any, context: Any = None) -> dict[str, Any]:
    """Call ``controller``'s handler once per stream record; return the partial batch response."""
    handler = _HANDLERS.get(controller)
    if handler is None:
        raise _records.no_handler(controller, SOURCE)
    if not stream.is_stream_event(event):
        raise _records.wrong_event(controller, "DynamoDB stream records", event)
    failed = _records.each_record(controller, handler, stream.stream_records(event), _arguments(event, context),
                                  stream.sequence_number, stop_after_failure=lambda item: True)
    return _records.batch_response(failed)


record = _records.decorator(SOURCE, _HANDLERS, dispatch, "record")
