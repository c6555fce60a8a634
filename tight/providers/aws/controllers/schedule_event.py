"""Controllers for schedules (EventBridge rules with ``rate(...)`` or ``cron(...)``).

``app/functions/<controller>/handler.py``::

    import tight.providers.aws.controllers.schedule_event as schedule_event

    @schedule_event.handler
    def tick(time, detail):
        ...

The handler gets ``time`` (the scheduled time, ISO 8601 text as EventBridge
sends it), ``detail`` ({} for a schedule), ``rules`` (the rule names from
``resources``), ``event`` and ``context``. Any EventBridge event is accepted
(a rule with an event pattern works too). Its return value is the
invocation's result; an exception fails the invocation, and Lambda retries it
as for any asynchronous call.
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at cold start
if TYPE_CHECKING:
    from typing import Any

from tight.providers.aws.controllers import records as _records
from tight.providers.aws.events import schedule

__all__ = ["SOURCE", "dispatch", "handler", "handler_of"]

SOURCE = "schedule"
_HANDLERS: dict[str, _records.Handler] = {}


def handler_of(controller: str) -> _records.Handler | None:
    return _HANDLERS.get(controller)


def dispatch(controller: str, event: Any, context: Any = None) -> Any:
    """Call ``controller``'s handler with the EventBridge event; return what it returns."""
    function = _HANDLERS.get(controller)
    if function is None:
        raise _records.no_handler(controller, SOURCE)
    if not schedule.is_eventbridge_event(event):
        raise _records.wrong_event(controller, "EventBridge (schedule) events", event)
    arguments = {
        "time": event.get("time"),
        "detail": schedule.detail(event),
        "rules": schedule.rule_names(event),
        "event": event,
        "context": context,
    }
    try:
        return _records.call(function, arguments)
    except Exception as exc:
        _records.log_failure(exc, f"function {controller!r} failed on the event of {event.get('time')}",
                             {"controller": controller})
        raise


handler = _records.decorator(SOURCE, _HANDLERS, dispatch, "handler")
