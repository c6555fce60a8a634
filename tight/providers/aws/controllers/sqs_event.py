"""Controllers for SQS queues (Lambda event source mapping, partial batch responses).

``app/functions/<controller>/handler.py``::

    import tight.providers.aws.controllers.sqs_event as sqs_event

    @sqs_event.message
    def handle(body, record, context):
        ...

The handler is called once per message with ``body`` (JSON-decoded when the
message is JSON, else its text), ``record`` (the message as Lambda delivers it:
messageId, attributes, messageAttributes...), ``context`` and ``event``; a
handler without ``**kwargs`` gets only the ones it names. A message whose
handler raises is reported failed, so SQS delivers it again (and, after the
queue's maxReceiveCount, moves it to the dead-letter queue); the others are
deleted. On a FIFO queue the messages after a failure are reported failed
unprocessed, keeping their order.

:func:`dispatch` returns ``{"batchItemFailures": [{"itemIdentifier": <messageId>}...]}``;
the event source mapping needs ``FunctionResponseTypes: [ReportBatchItemFailures]``
(``tight deploy`` sets it).
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at cold start
if TYPE_CHECKING:
    from collections.abc import Mapping
    TYPE_CHECKING = False  # typing is not imported at cold start
if TYPE_CHECKING:
    from typing import Any

from tight.providers.aws.controllers import records as _records
from tight.providers.aws.events import sqs

__all__ = ["SOURCE", "dispatch", "handler_of", "message"]

SOURCE = "sqs"
_HANDLERS: dict[str, _records.Handler] = {}


def handler_of(controller: str) -> _records.Handler | None:
    return _HANDLERS.get(controller)


def dispatch(controller: str, event: Any, context: Any = None) -> dict[str, Any]:
    """Call ``controller``'s handler once per message; return the partial batch response."""
    handler = _HANDLERS.get(controller)
    if handler is None:
        raise _records.no_handler(controller, SOURCE)
    if not sqs.is_sqs_event(event):
        raise _records.wrong_event(controller, "SQS messages", event)

    def arguments(record: Mapping[str, Any]) -> dict[str, Any]:
        return {"body": sqs.message_body(record), "record": record, "context": context, "event": event}

    failed = _records.each_record(controller, handler, sqs.messages(event), arguments, sqs.message_id,
                                  stop_after_failure=sqs.is_fifo)
    return _records.batch_response(failed)


message = _records.decorator(SOURCE, _HANDLERS, dispatch, "message")
