"""Read DynamoDB stream records (``Records[].dynamodb``, ``eventSource: aws:dynamodb``).

Images arrive in DynamoDB JSON (``{"id": {"S": "1"}, "n": {"N": "3"}}``); :func:`deserialize`
turns them into plain Python values with the standard library only (no boto3 import on the
hot path): S -> str, N -> int when integral else Decimal, B -> bytes (base64 in the event),
BOOL -> bool, NULL -> None, SS/NS/BS -> set, L -> list, M -> dict.
"""
from __future__ import annotations

from collections.abc import Mapping

TYPE_CHECKING = False  # typing is not imported at cold start
if TYPE_CHECKING:
    import decimal
    from typing import Any

from .kinds import has_records_from, records

SOURCE = "aws:dynamodb"


class StreamFormatError(ValueError):
    """An attribute value that is not DynamoDB JSON."""


def is_stream_event(event: Any) -> bool:
    return has_records_from(event, SOURCE)


def stream_records(event: Any) -> list[Mapping[str, Any]]:
    return records(event)


def _number(text: str) -> int | decimal.Decimal:
    try:
        return int(text)
    except ValueError:
        pass
    import decimal  # only for numbers that are not whole

    try:
        return decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise StreamFormatError(f"not a number: {text!r}") from None


def _binary(text: Any) -> bytes:
    if isinstance(text, (bytes, bytearray)):
        return bytes(text)
    import base64  # only for binary attributes

    try:
        return base64.b64decode(text, validate=True)
    except (TypeError, ValueError):
        raise StreamFormatError("binary value is not base64") from None


def deserialize_value(value: Any) -> Any:
    """One DynamoDB JSON attribute value (``{"N": "3"}``) as a Python value."""
    if not isinstance(value, Mapping) or len(value) != 1:
        raise StreamFormatError(f"not a DynamoDB attribute value: {value!r:.80}")
    (kind, raw), = value.items()
    if kind == "S":
        return raw
    if kind == "N":
        return _number(raw)
    if kind == "B":
        return _binary(raw)
    if kind == "BOOL":
        return bool(raw)
    if kind == "NULL":
        return None
    if kind == "SS":
        return set(raw)
    if kind == "NS":
        return {_number(item) for item in raw}
    if kind == "BS":
        return {_binary(item) for item in raw}
    if kind == "L":
        return [deserialize_value(item) for item in raw]
    if kind == "M":
        return deserialize(raw)
    raise StreamFormatError(f"unknown DynamoDB type {kind!r}")


def deserialize(image: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A DynamoDB JSON image (``Keys``, ``NewImage``, ``OldImage``) as a dict; None stays None."""
    if image is None:
        return None
    if not isinstance(image, Mapping):
        raise StreamFormatError(f"not a DynamoDB image: {image!r:.80}")
    return {str(name): deserialize_value(value) for name, value in image.items()}


def change(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """The record's ``dynamodb`` section."""
    value = record.get("dynamodb")
    return value if isinstance(value, Mapping) else {}


def sequence_number(record: Mapping[str, Any]) -> str | None:
    return change(record).get("SequenceNumber")
