"""``rundb --keep`` on the embedded engine: its tables and items saved to one JSON file, loaded on the next start.

The file (``dynamo_db/shared-embedded-instance.json``) holds::

    {"format": "tight-dynamodb-snapshot", "version": 1, "saved": "2026-11-26T14:00:00Z",
     "tables": [{"table": <table spec>, "items": [<DynamoDB JSON item>, ...]}, ...]}

where a table spec has the shape of :func:`tight.dev.models.table_spec` (what
:func:`tight.dev.local_dynamodb.create_tables` takes) and items are in the
wire format (``{"id": {"S": "a1"}}``, binary base64). Everything goes through
the DynamoDB API (DescribeTable, Scan; CreateTable, BatchWriteItem), so the
file does not depend on moto's internals, and loading it runs no code.

Saving writes a new file and renames it over the old one: a stop that fails
half-way leaves the previous snapshot whole. A file that is not a snapshot
is :class:`SnapshotError` (one line), never ignored and never overwritten.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

FILE = "shared-embedded-instance.json"
#: Written by rundb --keep into a dynamo_db/ it had to create: the directory is tight's (installdb may fill it).
MARKER = ".tight-rundb.json"
FORMAT = "tight-dynamodb-snapshot"
VERSION = 1
_LEAVE = "move it away to start empty (it is left as it is)"


class SnapshotError(Exception):
    """A snapshot that cannot be read or loaded; the message is one line naming the file."""


def read_snapshot(path: str | os.PathLike) -> dict[str, Any] | None:
    """The snapshot at ``path`` (checked, nothing loaded yet), or None when there is no file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SnapshotError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SnapshotError(f"{path} is not a tight DynamoDB snapshot (not UTF-8 text); {_LEAVE}.") from None
    except ValueError as exc:
        raise SnapshotError(f"{path} is not a tight DynamoDB snapshot (invalid JSON: {exc}); {_LEAVE}.") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SnapshotError(f"{path} is not a tight DynamoDB snapshot (no \"format\": \"{FORMAT}\"); {_LEAVE}.")
    if data.get("version") != VERSION:
        raise SnapshotError(f"{path} is a snapshot of version {data.get('version')!r}; this tight reads version "
                            f"{VERSION}: upgrade tight, or {_LEAVE}.")
    tables = data.get("tables")
    if not isinstance(tables, list):
        raise SnapshotError(f"{path}: \"tables\" must be a list; {_LEAVE}.")
    for index, entry in enumerate(tables):
        problem = _entry_problem(entry)
        if problem:
            raise SnapshotError(f"{path}: table {index}: {problem}; {_LEAVE}.")
    return data


def _entry_problem(entry: Any) -> str | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("table"), dict):
        return "expected {\"table\": {...}, \"items\": [...]}"
    table = entry["table"]
    if not isinstance(table.get("TableName"), str):
        return "no TableName"
    for key in ("KeySchema", "AttributeDefinitions"):
        if not isinstance(table.get(key), list) or not table[key]:
            return f"{table['TableName']}: no {key}"
    items = entry.get("items")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return f"{table['TableName']}: \"items\" must be a list of items"
    return None


def table_from_description(table: dict[str, Any], ttl: dict[str, Any] | None) -> dict[str, Any]:
    """A table spec (CreateTable shape, TTL and stream as in ``table_spec``) from DescribeTable's ``Table``."""
    mode = (table.get("BillingModeSummary") or {}).get("BillingMode") or "PROVISIONED"

    def throughput(source: dict[str, Any]) -> dict[str, Any]:
        if mode != "PROVISIONED":
            return {}
        given = source.get("ProvisionedThroughput") or {}
        return {"ProvisionedThroughput": {"ReadCapacityUnits": given.get("ReadCapacityUnits") or 1,
                                          "WriteCapacityUnits": given.get("WriteCapacityUnits") or 1}}

    spec: dict[str, Any] = {
        "TableName": table["TableName"],
        "KeySchema": table["KeySchema"],
        "AttributeDefinitions": table["AttributeDefinitions"],
        "BillingMode": mode,
        **throughput(table),
    }
    local = [{k: i[k] for k in ("IndexName", "KeySchema", "Projection")} for i in table.get("LocalSecondaryIndexes") or ()]
    if local:
        spec["LocalSecondaryIndexes"] = local
    indexes = [{**{k: i[k] for k in ("IndexName", "KeySchema", "Projection")}, **throughput(i)}
               for i in table.get("GlobalSecondaryIndexes") or ()]
    if indexes:
        spec["GlobalSecondaryIndexes"] = indexes
    stream = table.get("StreamSpecification") or {}
    if stream.get("StreamEnabled"):
        spec["StreamSpecification"] = {"StreamViewType": stream["StreamViewType"]}
    if ttl and ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") and ttl.get("AttributeName"):
        spec["TimeToLiveSpecification"] = {"AttributeName": ttl["AttributeName"], "Enabled": True}
    return spec


def take_snapshot(endpoint: str) -> dict[str, Any]:
    """Every table of the engine at ``endpoint`` with all its items."""
    from tight.dev.local_dynamodb import call, list_tables, scan_items

    tables = []
    for name in list_tables(endpoint):
        description = call(endpoint, "DescribeTable", {"TableName": name})["Table"]
        ttl = call(endpoint, "DescribeTimeToLive", {"TableName": name}).get("TimeToLiveDescription")
        tables.append({"table": table_from_description(description, ttl), "items": scan_items(endpoint, name)})
    return {"format": FORMAT, "version": VERSION, "saved": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "tables": tables}


def write_snapshot(path: str | os.PathLike, snapshot: dict[str, Any]) -> None:
    """Write ``snapshot`` to ``path`` atomically (the old file stays whole until the new one is complete)."""
    from ..files import write_atomic

    write_atomic(path, json.dumps(snapshot, separators=(",", ":")) + "\n")


def load_snapshot(endpoint: str, snapshot: dict[str, Any], path: str | os.PathLike) -> tuple[int, int]:
    """Create the snapshot's tables and put its items; returns ``(tables, items)``."""
    from tight.dev.local_dynamodb import DynamoDBError, create_tables, write_items

    count = 0
    for entry in snapshot["tables"]:
        name = entry["table"]["TableName"]
        try:
            create_tables(endpoint, [entry["table"]])
            write_items(endpoint, name, entry["items"])
        except DynamoDBError as exc:
            raise SnapshotError(f"{path}: cannot load table {name}: {exc}; {_LEAVE}.") from None
        count += len(entry["items"])
    return len(snapshot["tables"]), count
