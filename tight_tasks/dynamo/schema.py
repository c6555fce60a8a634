"""``tight dynamo.generateschema``: CloudFormation ``AWS::DynamoDB::Table`` files from models.

The mapping itself is :func:`tight.dev.models.table_spec` (shared with the
local engines); this module names, renders, compares and writes the files.
Needs no database and no AWS credentials.
"""
from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

from ..config import fail, usage_error
from ..files import inside

SCHEMA_DIR = ("schemas", "dynamo")
FORMATS = {"yaml": ".yml", "json": ".json"}
SCHEMA_SUFFIXES = (".yml", ".yaml", ".json")


def load_models(root: Path) -> list[type]:
    """Apply the app's env (env.dist.yml < env.yml < shell) and import its models."""
    from tight.dev.env import EnvFileError, apply_env
    from tight.dev.models import ModelImportError, discover_models

    try:
        apply_env(root)
    except EnvFileError as exc:
        raise fail(f"{exc}; fix the file and retry.") from None
    try:
        return discover_models(root)
    except ModelImportError as exc:
        raise fail(f"Cannot import model {exc}.") from None


def model_specs(models: list[type]) -> list[dict[str, Any]]:
    """The table of every model (:func:`tight.dev.models.table_spec`); one line when a model cannot be
    a DynamoDB table, or when two models name the same table."""
    from tight.dev.models import ModelError, model_file, table_spec

    specs: list[dict[str, Any]] = []
    owners: dict[str, type] = {}
    for model in models:
        try:
            spec = table_spec(model)
        except ModelError as exc:
            raise fail(f"{exc}.") from None
        name = spec["TableName"]
        if name in owners:
            raise fail(f"{model_file(model)}: model {model.__name__} has the same table name as "
                       f"{owners[name].__name__} ({name}); give each model its own '_name'.")
        owners[name] = model
        specs.append(spec)
    return specs


def table_prefix() -> str:
    """``NAME-STAGE-`` from the environment (what generated models put before their table names)."""
    return _table_prefix()


def resource(spec: dict[str, Any]) -> dict[str, Any]:
    """The CloudFormation resource of one table."""
    return {"Type": "AWS::DynamoDB::Table", "Properties": spec}


def render(document: dict[str, Any], fmt: str = "yaml") -> str:
    """YAML as the reference shows it (sorted keys, leaf collections in flow style) or JSON."""
    if fmt == "json":
        import json

        return json.dumps(document, indent=2, sort_keys=True) + "\n"
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(document, Dumper=dumper, default_flow_style=None, sort_keys=True, width=4096)


def file_stem(table: str, prefix: str) -> str:
    """``my-service-dev-accounts`` -> ``accounts`` (the table name after ``NAME-STAGE-``)."""
    return table[len(prefix):] if prefix and table.startswith(prefix) and len(table) > len(prefix) else table


def _table_prefix() -> str:
    name, stage = os.environ.get("NAME"), os.environ.get("STAGE")
    return f"{name}-{stage}-" if name and stage else ""


def plan(root: Path, models: list[type], fmt: str) -> dict[Path, str]:
    """``{schema file: wanted text}`` for every model."""
    from tight.dev.models import ModelError, model_file, table_spec

    folder = root.joinpath(*SCHEMA_DIR)
    prefix = _table_prefix()
    wanted: dict[Path, str] = {}
    owners: dict[Path, type] = {}
    for model in models:
        try:
            spec = table_spec(model)
        except ModelError as exc:
            raise fail(f"{exc}.") from None
        stem = file_stem(spec["TableName"], prefix)
        if "/" in stem or "\\" in stem or stem.startswith("."):
            raise fail(f"{model_file(model)}: table name {spec['TableName']!r} cannot be a file name; "
                       "use letters, digits, '-' and '_'.")
        path = folder / (stem + FORMATS[fmt])
        if path in owners:
            raise fail(f"{model_file(model)}: model {model.__name__} has the same table name as "
                       f"{owners[path].__name__} ({spec['TableName']}); give each model its own '_name'.")
        owners[path] = model
        wanted[path] = render(resource(spec), fmt)
    return wanted


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def write_schemas(root: Path, app_settings: dict | None = None, check: bool = False, fmt: str = "yaml",
                  prune: bool = False, out=print) -> dict[str, list[Path]]:
    """Write (or with ``check`` compare) ``schemas/dynamo/<table suffix>.<yml|json>``.

    Returns ``{"written": [...], "unchanged": [...], "stale": [...], "removed": [...]}``.
    """
    if fmt not in FORMATS:
        raise usage_error(f"--format {fmt!r} is not supported: use yaml or json.")
    if check and prune:
        raise usage_error("--check writes nothing: use it without --prune.")
    root = Path(root)
    if inside(root, Path(*SCHEMA_DIR)) is None:
        raise fail(f"{root.joinpath(*SCHEMA_DIR)} leads outside the app (a symbolic link?): "
                   "tight writes schemas only inside it; make schemas/dynamo a plain directory.")
    wanted = plan(root, load_models(root), fmt)
    folder = root.joinpath(*SCHEMA_DIR)
    existing = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in SCHEMA_SUFFIXES) \
        if folder.is_dir() else []
    stale = [p for p in existing if p not in wanted]
    changed = {p: t for p, t in wanted.items() if _read(p) != t}
    unchanged = [p for p in wanted if p not in changed]

    def rel(path: Path) -> str:
        return path.relative_to(root).as_posix()

    if check:
        diff: list[str] = []
        for path, text in sorted(changed.items()):
            old = _read(path)
            diff.extend(difflib.unified_diff((old or "").splitlines(True), text.splitlines(True),
                                             "/dev/null" if old is None else f"a/{rel(path)}", f"b/{rel(path)}"))
        for path in stale:
            diff.extend(difflib.unified_diff((_read(path) or "").splitlines(True), [], f"a/{rel(path)}",
                                             "/dev/null"))
        if diff:
            out("".join(line if line.endswith("\n") else line + "\n" for line in diff), end="")
            raise fail(f"{rel(folder)} is out of date with app/models ({len(changed)} to write, {len(stale)} stale): "
                       "run `tight dynamo.generateschema" + (" --prune" if stale else "") + "`.")
        out(f"{rel(folder)} is up to date ({len(wanted)} table{'s' if len(wanted) != 1 else ''}).")
        return {"written": [], "unchanged": unchanged, "stale": [], "removed": []}

    from ..files import write_atomic

    for path, text in sorted(changed.items()):
        write_atomic(path, text)
        out(f"wrote {rel(path)}")
    if unchanged:
        out(f"{len(unchanged)} file{'s' if len(unchanged) != 1 else ''} already up to date")
    removed = []
    for path in stale:
        if prune:
            path.unlink()
            removed.append(path)
            out(f"removed {rel(path)} (no model writes this file)")
        else:
            out(f"stale: {rel(path)} (no model writes this file; --prune removes it)")
    if not wanted:
        out("No models found in app/models: nothing to write.")
    return {"written": sorted(changed), "unchanged": unchanged, "stale": [] if prune else stale,
            "removed": removed}
