"""Controllers for S3 bucket notifications.

``app/functions/<controller>/handler.py``::

    import tight.providers.aws.controllers.s3_event as s3_event

    @s3_event.object
    def handle(bucket, key, size, event_name):
        ...

The handler is called once per notification record with ``bucket``, ``key``
(URL-decoded: S3 sends ``my+photo.jpg`` for ``my photo.jpg``), ``size`` (bytes;
None for deletions), ``event_name`` (``ObjectCreated:Put``...), ``version_id``,
``record``, ``context`` and ``event``. S3 invokes the function asynchronously
and Lambda retries a failed invocation: when a handler raises, every record is
still tried, each failure is logged with its key, then :class:`RecordsFailed`
is raised so the invocation counts as failed (and is retried, then sent to the
function's on-failure destination, if any).
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at cold start
if TYPE_CHECKING:
    from collections.abc import Mapping
    TYPE_CHECKING = False  # typing is not imported at cold start
if TYPE_CHECKING:
    from typing import Any

from tight.providers.aws.controllers import records as _records
from tight.providers.aws.controllers.records import RecordsFailed
from tight.providers.aws.events import s3

__all__ = ["SOURCE", "RecordsFailed", "dispatch", "handler_of", "object"]

SOURCE = "s3"
_HANDLERS: dict[str, _records.Handler] = {}


def handler_of(controller: str) -> _records.Handler | None:
    return _HANDLERS.get(controller)


def _key(record: Mapping[str, Any]) -> str:
    return f"s3://{s3.bucket_name(record)}/{s3.object_key(record)}"


def dispatch(controller: str, event: Any, context: Any = None) -> dict[str, Any]:
    """Call ``controller``'s handler once per notification; ``{"processed": N}`` when all succeed."""
    handler = _HANDLERS.get(controller)
    if handler is None:
        raise _records.no_handler(controller, SOURCE)
    if not s3.is_s3_event(event):
        raise _records.wrong_event(controller, "S3 notifications", event)

    def arguments(record: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "bucket": s3.bucket_name(record),
            "key": s3.object_key(record),
            "size": s3.object_size(record),
            "event_name": s3.event_name(record),
            "version_id": s3.version_id(record),
            "record": record,
            "context": context,
            "event": event,
        }

    notifications = s3.notifications(event)
    failed = _records.each_record(controller, handler, notifications, arguments, _key)
    if failed:
        raise RecordsFailed(f"function {controller!r} failed on {len(failed)} of {len(notifications)} "
                            f"object(s): {', '.join(failed)}")
    return {"processed": len(notifications)}


object = _records.decorator(SOURCE, _HANDLERS, dispatch, "object")  # the public name: @s3_event.object
