"""Which keyword arguments a handler takes: what every controller (HTTP and event sources) passes it.

Read from the code object (``inspect`` is imported only for wrapped or unusual callables,
to keep it off the cold-start path), and cached per function.
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at cold start
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Handler = Callable[..., Any]

_ACCEPTS: dict[Handler, frozenset[str] | None] = {}
_VAR_KEYWORDS = 0x08  # inspect.CO_VARKEYWORDS, without importing inspect at cold start


def accepted(function: Handler) -> frozenset[str] | None:
    """The keyword arguments ``function`` takes; None when it takes ``**kwargs``."""
    if function in _ACCEPTS:
        return _ACCEPTS[function]
    try:
        code = function.__code__
    except AttributeError:  # a callable object, a partial...: its signature says
        code = None
    if code is None or getattr(function, "__wrapped__", None) is not None:
        names = _signature_names(function)
    elif code.co_flags & _VAR_KEYWORDS:
        names = None
    else:
        names = frozenset(code.co_varnames[code.co_posonlyargcount:code.co_argcount + code.co_kwonlyargcount])
    _ACCEPTS[function] = names
    return names


def _signature_names(function: Handler) -> frozenset[str] | None:
    import inspect

    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return frozenset(p.name for p in parameters if p.kind in kinds)
