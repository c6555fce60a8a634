"""Read S3 event notifications (``Records[].s3``, ``eventSource: aws:s3``)."""
from __future__ import annotations

from collections.abc import Mapping

TYPE_CHECKING = False  # typing is not imported at cold start
if TYPE_CHECKING:
    from typing import Any

from .kinds import has_records_from, records

SOURCE = "aws:s3"


def is_s3_event(event: Any) -> bool:
    return has_records_from(event, SOURCE)


def notifications(event: Any) -> list[Mapping[str, Any]]:
    return records(event)


def _section(record: Mapping[str, Any], *names: str) -> Mapping[str, Any]:
    value: Any = record
    for name in names:
        value = value.get(name) if isinstance(value, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def bucket_name(record: Mapping[str, Any]) -> str | None:
    return _section(record, "s3", "bucket").get("name")


def object_key(record: Mapping[str, Any]) -> str | None:
    """The object key, URL-decoded: S3 sends ``my+photo%282%29.jpg`` for ``my photo(2).jpg``."""
    from urllib.parse import unquote_plus  # not at cold start

    key = _section(record, "s3", "object").get("key")
    return unquote_plus(key) if isinstance(key, str) else key


def object_size(record: Mapping[str, Any]) -> int | None:
    """The object's size in bytes (absent from delete notifications)."""
    size = _section(record, "s3", "object").get("size")
    try:
        return int(size) if size is not None else None
    except (TypeError, ValueError):
        return None


def version_id(record: Mapping[str, Any]) -> str | None:
    return _section(record, "s3", "object").get("versionId")


def event_name(record: Mapping[str, Any]) -> str | None:
    """``ObjectCreated:Put``, ``ObjectRemoved:Delete``... (S3 leaves out the ``s3:`` prefix)."""
    return record.get("eventName")
