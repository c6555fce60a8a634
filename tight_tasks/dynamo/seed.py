"""``rundb --seed DIR``: item files (one per table) checked, then written to a running engine.

``DIR/<table suffix or table name>.{yml,yaml,json}`` holds a list of items
(attribute: value mappings). Every file is read and checked before anything is
written: a bad item is one line naming the file and the item.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..config import fail

SUFFIXES = (".yml", ".yaml", ".json")


def _load_seed_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise fail(f"{path}: not UTF-8 text; save it as UTF-8 and retry.") from None
    except OSError as exc:
        raise fail(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if path.suffix == ".json":
        try:
            return json.loads(text)
        except ValueError as exc:
            raise fail(f"{path}: invalid JSON ({exc}); fix the file and retry.") from None
    from ..config import load_yaml_file

    return load_yaml_file(path)


def _to_dynamo_value(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _to_dynamo_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_dynamo_value(v) for v in value]
    return value


def _json_wire(value: Any) -> Any:
    """DynamoDB's wire format as JSON: binary values (``B``, ``BS``) travel base64-encoded."""
    import base64

    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {k: _json_wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_json_wire(v) for v in value]
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _key_identity(value: dict[str, Any]) -> tuple[str, Any]:
    """What DynamoDB compares keys by: ``1`` and ``1.0`` are one number."""
    from decimal import Decimal

    ((kind, raw),) = value.items()
    return (kind, Decimal(raw).normalize()) if kind == "N" else (kind, raw)


def table_files(specs: list[dict[str, Any]], seed_dir: Path, prefix: str) -> list[tuple[Path, dict[str, Any]]]:
    """``(seed file, table spec)`` for every item file of ``seed_dir``, sorted by file name."""
    if not seed_dir.is_dir():
        raise fail(f"--seed {seed_dir}: no such directory.")
    by_name: dict[str, dict[str, Any]] = {}
    for spec in specs:
        name = spec["TableName"]
        by_name[name] = spec
        if prefix and name.startswith(prefix):
            by_name.setdefault(name[len(prefix):], spec)
    pairs = []
    for path in sorted(p for p in seed_dir.iterdir() if p.is_file() and p.suffix in SUFFIXES):
        spec = by_name.get(path.stem)
        if spec is None:
            raise fail(f"{path}: no model has table {path.stem!r} (tables: {', '.join(s['TableName'] for s in specs)}); "
                       "name seed files after a table or its suffix, e.g. accounts.yml.")
        pairs.append((path, spec))
    return pairs


def file_items(path: Path, spec: dict[str, Any], seen: dict[tuple, tuple[Path, int]]) -> list[dict[str, Any]]:
    """The items of one seed file in DynamoDB JSON, checked; ``seen`` maps keys already read to their place."""
    from boto3.dynamodb.types import TypeSerializer

    data = _load_seed_file(path)
    if data is None:
        data = []
    if not isinstance(data, list):
        raise fail(f"{path}: expected a list of items, got {type(data).__name__}.")
    keys = [k["AttributeName"] for k in spec["KeySchema"]]
    types = {a["AttributeName"]: a["AttributeType"] for a in spec["AttributeDefinitions"]}
    serializer = TypeSerializer()
    items = []
    for index, item in enumerate(data):
        where = f"{path}: item {index}"
        if not isinstance(item, dict):
            raise fail(f"{where}: expected a mapping of attribute: value, got {type(item).__name__}.")
        for key in keys:
            if key not in item:
                raise fail(f"{where}: missing key attribute {key!r}.")
        try:
            wire = {str(k): serializer.serialize(_to_dynamo_value(v)) for k, v in item.items()}
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise fail(f"{where}: {exc}.") from None
        for key in keys:
            ((kind, value),) = wire[key].items()
            if kind != types[key]:
                raise fail(f"{where}: key attribute {key!r} must have type {types[key]}, got {kind}.")
            if value in ("", b""):
                raise fail(f"{where}: key attribute {key!r} is empty; DynamoDB keys need a value.")
        identity = (spec["TableName"], *(_key_identity(wire[k]) for k in keys))
        if identity in seen:
            other, at = seen[identity]
            shown = ", ".join(f"{k}={_shown(item[k])}" for k in keys)
            raise fail(f"{where} has the same key as {'' if other == path else f'{other} '}item {at} ({shown}); "
                       "each item of a table needs its own key.")
        seen[identity] = (path, index)
        items.append(_json_wire(wire))
    return items


def read_seed(specs: list[dict[str, Any]], seed_dir: Path, prefix: str) -> list[tuple[str, list[dict[str, Any]]]]:
    """``(table, items)`` for every seed file, all checked before anything is written."""
    seen: dict[tuple, tuple[Path, int]] = {}
    batches = []
    for path, spec in table_files(specs, seed_dir, prefix):
        batches.append((spec["TableName"], file_items(path, spec, seen)))
    return batches


def write_seed(endpoint: str, batches: list[tuple[str, list[dict[str, Any]]]]) -> dict[str, int]:
    """Write what :func:`read_seed` returned into the engine; returns ``{table: items written}``."""
    from tight.dev.local_dynamodb import write_items

    counts: dict[str, int] = {}
    for table, items in batches:
        write_items(endpoint, table, items)
        counts[table] = counts.get(table, 0) + len(items)
    return counts
