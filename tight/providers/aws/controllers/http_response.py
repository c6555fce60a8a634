"""Shape a handler's result into the response the HTTP event's source expects.

Rules (one place): a mapping is a proxy response only when it has ``statusCode``;
anything else is the JSON body of a 200 (``None`` is a 204). A body that is not a
string is JSON (``Content-Type: application/json`` unless the handler set one),
bytes are base64. Then, per source (:mod:`tight.providers.aws.events.http`):

- REST (1.0): ``headers`` for single values, ``multiValueHeaders`` for repeated
  headers and every ``Set-Cookie`` (``cookies`` become those).
- HTTP API and Function URLs (2.0): ``headers`` (repeated values comma-joined) and
  a ``cookies`` list; there is no ``multiValueHeaders``.
- ALB: ``statusDescription`` and ``isBase64Encoded`` always; ``multiValueHeaders``
  when the request came in multi-value mode, else ``headers``.

Unknown top-level keys are dropped with a warning in the log, never sent.
"""
from __future__ import annotations

import json
from collections.abc import Mapping

TYPE_CHECKING = False  # typing is not imported at cold start
if TYPE_CHECKING:
    from typing import Any

from tight.providers.aws.events.http import ALB, FUNCTION_URL, HTTP_API


def _log():
    import logging  # only when something is logged: not at cold start

    return logging.getLogger('tight.lambda_proxy')

KNOWN_KEYS = frozenset({"statusCode", "body", "headers", "multiValueHeaders", "isBase64Encoded", "cookies",
                        "statusDescription"})
JSON = "application/json"


def _json_default(value: Any) -> Any:
    import datetime
    import decimal

    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ValueError("Out of range Decimal values are not JSON compliant")
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_ENCODER = json.JSONEncoder(separators=(",", ":"), default=_json_default, allow_nan=False)


class NotJson(ValueError):
    """A body that JSON cannot carry (NaN or Infinity); the message names where it is."""

    one_line = True  # the message says everything: logged without a traceback


def dumps(value: Any) -> str:
    """Compact JSON (``{"hello":"world"}``); Decimals, datetimes and sets allowed.

    NaN and Infinity raise :class:`NotJson` naming their key (``body.stats.ratio``):
    ``{"ratio":NaN}`` is not JSON, and clients fail on it.
    """
    try:
        return _ENCODER.encode(value)
    except ValueError as exc:
        where = _non_finite(value, "body", 0)
        if where is None:
            raise
        raise NotJson(f"the response holds {where[1]} at {where[0]}, which JSON cannot carry: "
                      "return null or a string there") from exc


def _non_finite(value: Any, path: str, depth: int) -> tuple[str, str] | None:
    """``(path, 'NaN')`` of the first NaN/Infinity in ``value``, else None."""
    if isinstance(value, float):
        return None if value - value == 0 else (path, repr(value).replace("nan", "NaN").replace("inf", "Infinity"))
    import decimal

    if isinstance(value, decimal.Decimal):
        return None if value.is_finite() else (path, "NaN" if value.is_nan() else f"{'-' if value < 0 else ''}Infinity")
    if depth > 200:
        return None
    if isinstance(value, Mapping):
        items = ((f"{path}.{key}", item) for key, item in value.items())
    elif isinstance(value, (list, tuple)):
        items = ((f"{path}[{index}]", item) for index, item in enumerate(value))
    else:
        return None
    for where, item in items:
        found = _non_finite(item, where, depth + 1)
        if found:
            return found
    return None


class Response:
    """A response on its way out: status, ordered headers (name -> values), cookies, body."""

    __slots__ = ("base64", "body", "cookies", "description", "headers", "removed", "status")

    def __init__(self, status: int, body: str = "", base64_encoded: bool = False):
        self.status = status
        self.headers: dict[str, tuple[str, list[str]]] = {}
        self.cookies: list[str] = []
        self.body = body
        self.base64 = base64_encoded
        self.description: str | None = None
        self.removed: set[str] = set()  # lower-case names the handler removed (a None value)

    def has(self, name: str) -> bool:
        return name.lower() in self.headers

    def was_removed(self, name: str) -> bool:
        return name.lower() in self.removed

    def set(self, name: str, value: Any) -> None:
        """Set header ``name`` (a list gives several values; None or an empty list removes it)."""
        key = name.lower()
        if value is None or (isinstance(value, (list, tuple)) and not value):
            self.headers.pop(key, None)
            self.removed.add(key)
        elif key == "set-cookie":
            self.cookies.extend(str(v) for v in (value if isinstance(value, (list, tuple)) else [value]))
        else:
            values = [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
            self.headers[key] = (name, values)

    def setdefault(self, name: str, value: str) -> None:
        if not self.has(name):
            self.set(name, value)

    def add_vary(self, field: str) -> None:
        existing = self.headers.get("vary")
        values = [v.strip() for v in ",".join(existing[1]).split(",") if v.strip()] if existing else []
        if field.lower() not in (v.lower() for v in values):
            self.set("Vary", ", ".join([*values, field]))


def build(result: Any, defaults: Mapping[str, str]) -> Response:
    """A :class:`Response` from a handler's return value, ``defaults`` headers first."""
    if result is None:
        response = Response(204)
        for name, value in defaults.items():
            response.set(name, value)
        return response
    if not (isinstance(result, Mapping) and "statusCode" in result):
        result = {"statusCode": 200, "body": result}
    if not KNOWN_KEYS.issuperset(result):
        unknown = sorted(str(k) for k in result if k not in KNOWN_KEYS)
        _log().warning("Dropped unknown response keys (not sent): %s", ", ".join(unknown))
    response = Response(int(result.get("statusCode") or 200))
    if result.get("statusDescription"):
        response.description = str(result["statusDescription"])
    for name, value in defaults.items():
        response.set(name, value)
    if "multiValueHeaders" in result:
        for name, values in _items(result["multiValueHeaders"]):
            response.set(name, list(values) if isinstance(values, (list, tuple)) else values)
    if "headers" in result:
        for name, value in _items(result["headers"]):
            response.set(name, value)
    cookies = result.get("cookies")
    if isinstance(cookies, (list, tuple)):
        response.cookies.extend(str(c) for c in cookies)
    _set_body(response, result.get("body"), bool(result.get("isBase64Encoded")))
    return response


def _items(value: Any):
    return [(str(k), v) for k, v in value.items()] if isinstance(value, Mapping) else []


def _set_body(response: Response, body: Any, encoded: bool) -> None:
    if body is None:
        response.body = ""
    elif isinstance(body, (bytes, bytearray)):
        import base64

        response.body = base64.b64encode(bytes(body)).decode("ascii")
        response.base64 = True
    elif isinstance(body, str):
        response.body = body
        response.base64 = encoded
    else:
        response.body = dumps(body)
        response.setdefault("Content-Type", JSON)


def render(response: Response, source: str, multi_value: bool = False) -> dict[str, Any]:
    """The dict Lambda returns to ``source`` (see the module docstring)."""
    out: dict[str, Any] = {"statusCode": response.status}
    if source == ALB:
        phrase = _phrase(response.status)
        out["statusDescription"] = response.description or f"{response.status} {phrase}".strip()
        values = {name: list(vals) for name, vals in response.headers.values()}
        if response.cookies:
            values["Set-Cookie"] = list(response.cookies)
        if multi_value:
            out["multiValueHeaders"] = values
        else:
            if len(response.cookies) > 1:
                _log().warning("ALB single-value headers mode sends one Set-Cookie; %d dropped "
                            "(turn on multi-value headers on the target group)", len(response.cookies) - 1)
            out["headers"] = {name: vals[-1] for name, vals in values.items()}
        out["body"] = response.body
        out["isBase64Encoded"] = response.base64
        return out
    if source in (HTTP_API, FUNCTION_URL):
        out["headers"] = {name: ",".join(vals) for name, vals in response.headers.values()}
        if response.cookies:
            out["cookies"] = list(response.cookies)
    else:
        single = {name: vals[0] for name, vals in response.headers.values() if len(vals) == 1}
        multi = {name: list(vals) for name, vals in response.headers.values() if len(vals) > 1}
        if response.cookies:
            multi["Set-Cookie"] = list(response.cookies)
        out["headers"] = single
        if multi:
            out["multiValueHeaders"] = multi
    out["body"] = response.body
    if response.base64:
        out["isBase64Encoded"] = True
    return out


def _phrase(status: int) -> str:
    from http import HTTPStatus  # enum-heavy: ALB responses only

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
