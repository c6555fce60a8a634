"""The tables family of the template (pure): one ``AWS::DynamoDB::Table`` per model, retained, with
point-in-time recovery (a model opts out with ``__metadata__['point_in_time_recovery'] = False``) and, on
the stages ``deploy.protect`` lists, deletion protection.

A table followed by a ``dynamodb_stream`` function gets its stream turned on here
(:func:`stream_tables`), so the table stays one resource in the root of the template.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .parts import App, Parts, TemplateError, logical_id

#: DynamoDB data actions the functions get, on their own tables only.
TABLE_ACTIONS = [
    "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem",
    "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan",
    "dynamodb:UpdateItem",
]
STREAM_VIEW = "NEW_AND_OLD_IMAGES"


def table_id(table: str, prefix: str = "") -> str:
    """The logical id of ``table``: ``prefix`` (``NAME-STAGE-``) left out, so it is the same in every stage.

    A table named outside that convention gets a digest (``/`` is in no table name), so ``shop-dev-a`` and
    ``a`` never share an id.
    """
    if prefix and table.startswith(prefix) and len(table) > len(prefix):
        return logical_id("Table", table[len(prefix):], separator="-")
    return logical_id("Table", f"/{table}", separator="-")


def table_parts(spec: Mapping[str, Any], prefix: str = "", recovery: bool = True, protect: bool = False) -> Parts:
    """One ``AWS::DynamoDB::Table`` that no stack operation drops, with point-in-time recovery unless the
    model opts out, and deletion protection when ``protect``."""
    properties = dict(spec)
    if recovery:
        properties["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
    if protect:
        properties["DeletionProtectionEnabled"] = True
    resource = {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                "Properties": properties}
    return Parts({table_id(spec["TableName"], prefix): resource})


def stream_table(app: App, name: str, settings: Mapping[str, Any]) -> str:
    """The table name of the model a ``dynamodb_stream`` function follows."""
    model = str(settings.get("table"))
    table = app.model_tables.get(model)
    if table is None:
        known = ", ".join(sorted(app.model_tables)) or "none"
        raise TemplateError(f"function {name!r}: table {model!r} is not a model of this app (models: {known})")
    return table


def stream_tables(app: App) -> set[str]:
    """Names of the tables whose stream a function follows."""
    return {stream_table(app, name, s) for name, s in app.functions.items() if s.get("type") == "dynamodb_stream"}


def with_stream(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A table spec with its stream on (the model's own ``StreamSpecification`` wins)."""
    return {**spec, "StreamSpecification": spec.get("StreamSpecification") or {"StreamViewType": STREAM_VIEW}}


def tables_family(app: App) -> Parts:
    """Every model's table (a table name used twice is an error)."""
    streams = stream_tables(app)
    parts = Parts()
    seen: set[str] = set()
    for spec in app.tables:
        spec = with_stream(spec) if spec["TableName"] in streams else spec
        table = spec["TableName"]
        if table in seen:
            raise TemplateError(f"two models use the table name {table}: give each model its own '_name'")
        seen.add(table)
        options = app.table_options.get(table) or {}
        parts.add(table_parts(spec, f"{app.name}-{app.stage}-", recovery=options.get("point_in_time_recovery", True),
                              protect=app.stage in (app.deploy.get("protect") or ())))
    return parts
