"""Function types of ``tight generate.function --type``: their templates and their tight.yml entry.

``lambda_proxy`` (the default) renders ``templates/function`` and records nothing;
every other type renders ``templates/function_<type>`` and adds its settings to
tight.yml's ``functions:`` section, read back by :mod:`tight.dev.routes` (the one
parser of that section). The edit is textual, so the user's comments, order and
quoting survive: the entry is inserted at the end of an existing ``functions:``
block, or a new block is appended; the result is parsed again and must equal the
old settings plus the entry, else nothing is written.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tight.dev import routes

from ..config import fail, usage_error

TYPES = routes.TYPES
DEFAULT = "lambda_proxy"


def template_kind(function_type: str) -> str:
    """The template tree of a type: ``function`` or ``function_<type>``."""
    return "function" if function_type == DEFAULT else f"function_{function_type}"


def models(app_root: Path) -> list[str]:
    """Names of the app's models (``app/models/<name>.py``)."""
    folder = app_root / "app" / "models"
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.py") if not p.name.startswith("_"))


def stream_table(app_root: Path, table: str | None) -> str:
    """The model a dynamodb_stream function follows: ``--table``, or the app's only model."""
    known = models(app_root)
    if table:
        folded = {model.lower().replace("_", ""): model for model in known}
        table = folded.get(table.lower().replace("_", ""), table)
        if table not in known:
            listed = ", ".join(known) or "none yet: tight generate.model NAME"
            raise usage_error(f"--table {table!r} is not a model of this app (models: {listed}).")
        return table
    if len(known) == 1:
        return known[0]
    if not known:
        raise usage_error("A dynamodb_stream function follows a model's table, and this app has no model: "
                          "create one first (tight generate.model NAME).")
    raise usage_error(f"Pick the model whose table to follow: --table {' or --table '.join(known)}.")


def entry(function_type: str, name: str, table: str | None = None) -> dict[str, Any] | None:
    """The tight.yml settings a new function of ``function_type`` starts with (None: nothing to record)."""
    if function_type == "sqs":
        return {"type": "sqs", "batch_size": 10}
    if function_type == "schedule":
        return {"type": "schedule", "schedule": "rate(5 minutes)"}
    if function_type == "s3":
        return {"type": "s3", "bucket": f"{name.replace('_', '-')}-uploads", "events": ["s3:ObjectCreated:*"],
                "prefix": "uploads/"}
    if function_type == "dynamodb_stream":
        return {"type": "dynamodb_stream", "table": table, "batch_size": 100}
    if function_type == "authorizer":
        return {"type": "authorizer", "ttl": 300}
    return None


def _scalar(value: Any) -> str:
    import yaml

    text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    return text[: -len("...")].strip() if text.endswith("...") else text


def _entry_lines(name: str, settings: dict[str, Any], indent: str) -> list[str]:
    """The entry as block YAML; the name is quoted when YAML would read it as something else (``null``, ``on``)."""
    lines = [f"{indent}{_scalar(name)}:\n"]
    lines += [f"{indent * 2}{key}: {_scalar(value)}\n" for key, value in settings.items()]
    return lines


_FUNCTIONS = re.compile(r"functions[ \t]*:(?P<rest>.*)$")


def add_entry(text: str, name: str, settings: dict[str, Any]) -> str:
    """``text`` (tight.yml) with ``functions.<name>`` set to ``settings``, everything else as it was.

    Raises ValueError when the section cannot be edited as text (flow style).
    """
    if "\r\n" in text:  # a file with Windows line ends keeps them
        return add_entry(text.replace("\r\n", "\n"), name, settings).replace("\n", "\r\n")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    start = next((i for i, line in enumerate(lines) if _FUNCTIONS.match(line.rstrip("\r\n"))), None)
    if start is None:
        gap = ["\n"] if lines and lines[-1].strip() else []
        return "".join(lines + gap + ["functions:\n"] + _entry_lines(name, settings, "  "))
    rest = _FUNCTIONS.match(lines[start].rstrip("\r\n")).group("rest")
    value, _, comment = rest.partition("#")
    if value.strip() in ("{}", "null", "~"):
        lines[start] = "functions:" + (f"  #{comment}" if comment else "") + "\n"
    elif value.strip():
        raise ValueError("its functions: section is written in flow style ({...}); write it as a block "
                         "(one function per line) and retry")
    end, indent = start + 1, None
    for index in range(start + 1, len(lines)):
        line = lines[index]
        if not line.strip():
            continue
        if not line[0].isspace():
            break
        end = index + 1
        if indent is None and not line.lstrip().startswith("#"):
            indent = line[: len(line) - len(line.lstrip())]
    return "".join(lines[:end] + _entry_lines(name, settings, indent or "  ") + lines[end:])


def plan_tight_yml(config_path: Path, name: str, function_type: str, settings: dict[str, Any] | None) -> str | None:
    """The new text of tight.yml recording ``name``'s settings; None when there is nothing to write.

    Refuses (one-line error) an entry that already says something else, a section tight
    cannot edit, and settings :mod:`tight.dev.routes` would not accept.
    """
    import yaml

    from ..config import read_app_config

    text = config_path.read_text(encoding="utf-8")
    data = read_app_config(config_path)
    section = data.get("functions")
    if section is not None and not isinstance(section, dict):
        raise fail(f"{config_path}: functions must be a mapping of function name: settings.")
    existing = (section or {}).get(name)
    if existing is not None:
        kind = existing.get("type", DEFAULT) if isinstance(existing, dict) else None
        if kind == function_type:
            return None  # already recorded (--force regenerates the code, keeps the user's settings)
        raise fail(f"{config_path.name} already configures function {name} as type {kind}: "
                   f"remove its functions.{name} entry, or generate it with --type {kind}.")
    if settings is None:
        return None
    try:
        routes.function_settings({"functions": {name: settings}}, [name])
        new = add_entry(text, name, settings)
    except (routes.FunctionsConfigError, ValueError) as exc:
        raise fail(f"Cannot record function {name} in {config_path.name}: {exc}.") from None
    expected = dict(data)
    expected["functions"] = {**(section or {}), name: settings}
    if yaml.safe_load(new) != expected:
        raise fail(f"Cannot record function {name} in {config_path.name} without changing other settings: "
                   f"add this under functions: by hand: {name}: {_scalar(settings)}")
    return new


class Plan:
    """What generating a function of a type needs: its template tree, variables and tight.yml's new text."""

    def __init__(self, kind: str, variables: dict[str, Any], config_path: Path | None, config_text: str | None):
        self.kind = kind
        self.variables = variables
        self.config_path = config_path
        self.config_text = config_text

    def record(self) -> None:
        """Write tight.yml's new text (atomically), if there is one, and say so."""
        if self.config_text is None or self.config_path is None:
            return
        from ..files import write_atomic

        write_atomic(self.config_path, self.config_text)
        print(f"Recorded function {self.variables['name']} in {self.config_path.name} (functions: section)")


def plan(app_root: Path, name: str, function_type: str, table: str | None = None) -> Plan:
    """Check the options of ``generate.function`` for ``function_type`` and work out what to write."""
    from ..config import find_config_file

    if table and function_type != "dynamodb_stream":
        raise usage_error("--table applies to --type dynamodb_stream only.")
    variables: dict[str, Any] = {"name": name, "table": None, "prefix": ""}
    if function_type == "dynamodb_stream":
        variables["table"] = stream_table(app_root, table)
    settings = entry(function_type, name, variables["table"])
    if settings and "prefix" in settings:
        variables["prefix"] = settings["prefix"]
    config_path = find_config_file(app_root)
    text = plan_tight_yml(config_path, name, function_type, settings) if config_path else None
    return Plan(template_kind(function_type), variables, config_path, text)
