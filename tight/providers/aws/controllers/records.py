"""What the non-HTTP controllers (``sqs_event``, ``s3_event``, ``schedule_event``,
``dynamodb_stream_event``) share: one handler per controller, keyword arguments
filtered to what the handler takes, the log line and result for an event of the
wrong kind (raised, so the source retries it), and the per-record loop with partial batch failures.
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at cold start
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any

    Handler = Callable[..., Any]

from tight.providers.aws.controllers import registry
from tight.providers.aws.controllers.arguments import accepted
from tight.providers.aws.events.kinds import describe


def log():
    """The ``tight.events`` logger (logging is imported only when something is logged).

    Lines carry ``controller`` (and ``record``, the failed record's id) as extra fields: with
    Lambda's JSON log format they are keys of the record, so ``deploy.logs`` and Logs Insights
    can filter on them."""
    import logging

    return logging.getLogger("tight.events")


class RecordsFailed(Exception):
    """Raised after every record was tried, when some failed and the source retries whole events (S3)."""


def decorator(source: str, handlers: dict[str, Handler], dispatch: Callable[[str, Any, Any], Any],
              name: str) -> Callable[[Handler], Handler]:
    """A decorator that makes a function the ``source`` handler of its controller."""

    def register(function: Handler) -> Handler:
        controller = registry.controller_name(function.__module__)
        known = handlers.get(controller)
        if known is not None and _name(known) != _name(function):
            raise registry.SourceConflict(
                f"app/functions/{controller} has two {source} handlers ({_name(known)} and {_name(function)}): "
                "a function has one; call one from the other")
        registry.register(controller, source, dispatch)
        handlers[controller] = function
        return function

    register.__name__ = register.__qualname__ = name
    register.__doc__ = f"Register the decorated function as its controller's {source} handler."
    return register


def _name(function: Handler) -> str:
    return getattr(function, "__qualname__", None) or repr(function)


def call(function: Handler, arguments: Mapping[str, Any]) -> Any:
    """Call ``function`` with the ``arguments`` it accepts (all of them when it takes ``**kwargs``)."""
    names = accepted(function)
    if names is not None:
        arguments = {key: value for key, value in arguments.items() if key in names}
    return function(**arguments)


class WrongEventType(RuntimeError):
    """An event this function does not handle: the invocation fails, so the source retries it
    (and its dead-letter queue or on-failure destination keeps it) instead of dropping it.

    ``one_line``: the message says everything; local tools print it without a traceback.
    """

    one_line = True


class NoHandler(WrongEventType):
    """The function's handler module registered no handler for its source."""


def wrong_event(controller: str, expected: str, event: Any) -> WrongEventType:
    """Log one clear line; the error to raise for an event of the wrong kind."""
    message = (f"function {controller!r} handles {expected}, but got {describe(event)}: "
               f"check what triggers it (tight.yml functions.{controller}.type); the invocation fails "
               "so the event is retried")
    log().error(message, extra={"controller": controller})
    return WrongEventType(message)


def no_handler(controller: str, source: str) -> NoHandler:
    """Log one clear line; the error to raise when ``controller`` registered no ``source`` handler."""
    message = f"function {controller!r} has no {source} handler registered; the invocation fails"
    log().error(message, extra={"controller": controller})
    return NoHandler(message)


def each_record(controller: str, handler: Handler, records: Iterable[Mapping[str, Any]],
                arguments: Callable[[Mapping[str, Any]], dict[str, Any]],
                identifier: Callable[[Mapping[str, Any]], Any],
                stop_after_failure: Callable[[Mapping[str, Any]], bool] = lambda record: False) -> list[Any]:
    """Call ``handler`` once per record; return the identifiers of the records that failed.

    A record whose handler raises is logged with its identifier. When
    ``stop_after_failure(record)`` is true for a failed record (ordered sources:
    FIFO queues, streams), the records after it are not processed and count as
    failed too, so they are retried in order.
    """
    failed: list[Any] = []
    records = list(records)
    for index, record in enumerate(records):
        item = identifier(record)
        if not _one_record(controller, handler, record, arguments, item):
            failed.append(item)
            if stop_after_failure(record):
                rest = [identifier(r) for r in records[index + 1:]]
                if rest:
                    log().error("function %r: %d later record(s) left for retry, in order", controller, len(rest),
                                extra={"controller": controller, "record": item})
                failed.extend(rest)
                break
    return failed


def _one_record(controller: str, handler: Handler, record: Mapping[str, Any],
                arguments: Callable[[Mapping[str, Any]], dict[str, Any]], item: Any) -> bool:
    """Call ``handler`` on one record; False (logged) when it failed."""
    try:
        values = arguments(record)
    except ValueError as exc:  # a record tight cannot read (bad DynamoDB JSON...): one line, not tight's trace
        log().error("function %r cannot read record %s: %s", controller, item, exc,
                    extra={"controller": controller, "record": item})
        return False
    try:
        call(handler, values)
    except Exception as exc:  # noqa: BLE001 - a failed record is logged and reported, the batch goes on
        log_failure(exc, f"function {controller!r} failed on record {item}",
                    {"controller": controller, "record": item})
        return False
    return True


def log_failure(error: BaseException, what: str, fields: dict[str, Any] | None = None) -> None:
    """Log a handler's failure: one line when it needed a secret that could not be resolved, else the trace
    (``fields``: extra fields of the record, as in :func:`log`)."""
    from tight.providers.aws.lambda_app.secrets import unresolved

    why = unresolved(error)
    if why:
        log().error("%s: it needs %s", what, why, extra=fields)
    else:
        log().exception("%s", what, extra=fields)


def batch_response(failed: Iterable[Any]) -> dict[str, list[dict[str, Any]]]:
    """Lambda's partial batch response: ``{"batchItemFailures": [{"itemIdentifier": ...}]}``."""
    return {"batchItemFailures": [{"itemIdentifier": item} for item in failed]}
