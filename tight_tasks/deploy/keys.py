"""Table changes CloudFormation cannot make in place (pure): compared with the deployed template first.

A table tight deploys has a name, so CloudFormation cannot replace it: changing its hash or range key
(name or type), its local indexes, or more than one global index in one update fails and rolls back
("cannot update a stack when a custom-named resource requires replacing"). :func:`refusal` finds the
first such change and says it in one line, before any change set is made.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

GUIDE = "docs/deploy.md#changing-a-tables-keys"


def _keys(properties: Mapping[str, Any], schema: list[dict[str, Any]] | None = None) -> dict[str, tuple[str, str]]:
    """``{HASH|RANGE: (attribute, type)}`` of a table (or of ``schema``, an index's)."""
    types = {a.get("AttributeName"): a.get("AttributeType") for a in properties.get("AttributeDefinitions") or []}
    return {k.get("KeyType"): (k.get("AttributeName"), types.get(k.get("AttributeName")))
            for k in (properties.get("KeySchema") if schema is None else schema) or []}


def _indexes(properties: Mapping[str, Any], kind: str) -> dict[str, Any]:
    return {i.get("IndexName"): (_keys(properties, i.get("KeySchema")), i.get("Projection"))
            for i in properties.get(kind) or []}


def _key_text(key: tuple[str, str] | None) -> str:
    return f"{key[0]} ({key[1]})" if key else "none"


def table_change(name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> str | None:
    """Why table ``name`` cannot go from properties ``old`` to ``new`` in one update (None: it can)."""
    before, after = _keys(old), _keys(new)
    for role, word in (("HASH", "hash"), ("RANGE", "range")):
        if before.get(role) != after.get(role):
            return (f"its {word} key {_key_text(before.get(role))} would become {_key_text(after.get(role))}, "
                    "and DynamoDB cannot change a table's keys")
    if _indexes(old, "LocalSecondaryIndexes") != _indexes(new, "LocalSecondaryIndexes"):
        return "its local secondary indexes would change, and DynamoDB makes those only with a new table"
    was, will = _indexes(old, "GlobalSecondaryIndexes"), _indexes(new, "GlobalSecondaryIndexes")
    added, removed = sorted(set(will) - set(was)), sorted(set(was) - set(will))
    changed = sorted(n for n in set(was) & set(will) if was[n] != will[n])
    if len(added) + len(removed) + 2 * len(changed) > 1:
        parts = [f"{label} {', '.join(names)}" for label, names in
                 (("adds", added), ("removes", removed), ("changes the keys of", changed)) if names]
        return (f"the deploy {' and '.join(parts)} (global indexes), and DynamoDB takes one global index "
                "change per update: deploy them one at a time")
    return None


def refusal(deployed: Mapping[str, Any], template: Mapping[str, Any]) -> str | None:
    """One line naming the first table of ``template`` that ``deployed`` (the stack's template) cannot become."""
    def tables(doc: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
        found = {}
        for resource in (doc.get("Resources") or {}).values():
            properties = resource.get("Properties") or {} if isinstance(resource, Mapping) else {}
            if resource.get("Type") == "AWS::DynamoDB::Table" and isinstance(properties.get("TableName"), str):
                found[properties["TableName"]] = properties
        return found

    old = tables(deployed)
    for name, properties in tables(template).items():
        why = name in old and table_change(name, old[name], properties)
        if why:
            return (f"Table {name} cannot change in place: {why}; CloudFormation would fail the update (a named "
                    f"table is never replaced). Nothing was changed; the way forward is in {GUIDE}.")
    return None
