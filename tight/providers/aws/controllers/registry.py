"""Which event source each controller answers, and the function that dispatches its events.

A source module (``lambda_proxy_event``, ``sqs_event``...) calls :func:`register`
when one of its decorators is applied to a handler of ``app/functions/<controller>``.
The Lambda entry point (``lambda_app.app``) then asks :func:`dispatcher` for the
function to call with ``(controller, event, context)``. One controller, one source:
decorating a handler of a controller that already answers another source raises
:class:`SourceConflict` when the handler module is imported.
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at cold start
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Dispatch = Callable[[str, Any, Any], Any]

__all__ = ["SourceConflict", "controller_name", "controllers", "dispatcher", "forget", "register", "source"]


_SOURCES: dict[str, tuple[str, Dispatch]] = {}


def controller_name(module: str) -> str:
    """The controller a handler module belongs to: ``app.functions.my_controller.handler`` -> ``my_controller``."""
    parts = module.split(".")
    if len(parts) > 1 and parts[-1] == "handler":
        return parts[-2]
    return parts[-1]


class SourceConflict(ValueError):
    """A controller's handlers were registered for two different event sources."""


def register(controller: str, source_name: str, dispatch_function: Dispatch) -> None:
    """Record that ``controller`` answers ``source_name`` events through ``dispatch_function``.

    Registering the same source again (another handler of the controller, a
    reloaded module) is fine; a different source is a :class:`SourceConflict`.
    """
    known = _SOURCES.get(controller)
    if known is not None and known[0] != source_name:
        raise SourceConflict(
            f"app/functions/{controller} already handles {known[0]} events; it cannot also handle "
            f"{source_name} events (one controller, one event source: make another function)"
        )
    _SOURCES[controller] = (source_name, dispatch_function)


def dispatcher(controller: str) -> Dispatch | None:
    """The dispatch function of ``controller``'s source, or None when nothing registered it."""
    known = _SOURCES.get(controller)
    return known[1] if known is not None else None


def source(controller: str) -> str | None:
    """The name of the event source ``controller`` answers (``"http"``, ``"sqs"``...), or None."""
    known = _SOURCES.get(controller)
    return known[0] if known is not None else None


def controllers() -> dict[str, str]:
    """Every registered controller and its source name."""
    return {name: known[0] for name, known in sorted(_SOURCES.items())}


def forget(controller: str) -> None:
    """Drop ``controller``'s registration (tests; a handler module about to be re-imported)."""
    _SOURCES.pop(controller, None)
