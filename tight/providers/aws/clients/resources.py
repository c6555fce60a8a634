"""Which queues and buckets a function may use: read from the environment tight sets.

``tight deploy`` and ``tight local.serve`` give every function two JSON objects,
keyed by the app's sqs and s3 *function* names::

    TIGHT_QUEUES={"orders": "https://sqs.../shop-dev-orders", "mail": null}
    TIGHT_BUCKETS={"uploads": "shop-dev-uploads"}

Every queue and bucket of the app is listed; the value is null for one the
function does not list under ``functions.NAME.uses`` in tight.yml (its role
may not send or write there). Standard library only.
"""
from __future__ import annotations

import os

QUEUES = "TIGHT_QUEUES"
BUCKETS = "TIGHT_BUCKETS"
#: env key -> (what one entry is, the function type behind it, the call that reads it)
KINDS = {QUEUES: ("queue", "sqs", "queues.url"), BUCKETS: ("bucket", "s3", "buckets.name")}

_parsed: dict[str, tuple[str, dict]] = {}


class UnknownResource(LookupError):
    """A queue or bucket the app does not have, or that the calling function does not use."""


def _table(key: str) -> dict:
    import json

    text = os.environ.get(key)
    if text is None:
        return {}
    cached = _parsed.get(key)
    if cached is not None and cached[0] == text:
        return cached[1]
    try:
        table = json.loads(text)
    except ValueError:
        raise UnknownResource(f"{key} is not a JSON object ({text[:60]!r}): it is set by tight deploy and "
                              "tight local.serve; unset it or give {\"function\": \"value\"}") from None
    if not isinstance(table, dict):
        raise UnknownResource(f"{key} is not a JSON object of function name -> value")
    _parsed[key] = (text, table)
    return table


def _listing(key: str) -> str:
    what, kind, _ = KINDS[key]
    names = sorted(_table(key))
    if not names:
        return f"the app has no {what}s (no {kind} functions)"
    return f"the app's {what}s are those of its {kind} functions: {', '.join(names)}"


def lookup(key: str, function_name: str) -> str:
    """The value for ``function_name`` in ``key``'s table; :class:`UnknownResource` saying why not."""
    what, kind, call = KINDS[key]
    if not isinstance(function_name, str):
        raise TypeError(f"{call}() takes the {kind} function's name (a str), got {type(function_name).__name__}")
    table = _table(key)
    if function_name not in table:
        other = next((k for k in KINDS if k != key and function_name in _table(k)), None)
        if other is not None:
            _, other_kind, other_call = KINDS[other]
            raise UnknownResource(f"{function_name!r} is an {other_kind} function, not an {kind} one (use "
                                  f"{other_call}); {_listing(key)}")
        if key not in os.environ:
            raise UnknownResource(f"no {what} {function_name!r}: {key} is not set (tight local.serve and "
                                  "tight deploy set it for every function)")
        raise UnknownResource(f"no {what} {function_name!r}: {_listing(key)}")
    value = table[function_name]
    if not value:
        raise UnknownResource(f"this function may not use the {what} of {function_name!r}: add it to its uses "
                              f"in tight.yml (functions.<this function>.uses: [{function_name}])")
    return str(value)
