"""The app's environment on Lambda: the packaged settings, for keys the function's configuration lacks.

``tight generate.artifact`` writes ``tight_env.json`` (a JSON object of KEY: value,
from ``env.dist.yml``/``env.yml`` and the app's NAME) at the root of the zip, next to
``app_index.py``. :func:`apply` sets each of its keys that ``os.environ`` does not
already have, before any handler is imported. Without that file (a checkout, not a
package), ``env.dist.yml`` < ``env.yml`` and tight.yml's ``name`` are read instead,
but only when PyYAML is importable: Lambda's Python has no PyYAML, and needs none.
"""
from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

ENV_JSON = "tight_env.json"
ENV_FILES = ("env.dist.yml", "env.yml")
CONFIG_FILES = ("tight.yml", "tight.yaml")


class EnvironmentFileError(ValueError):
    """The packaged environment cannot be read (the message names the file)."""


def as_environ(value: Any) -> str:
    """How a value is written into ``os.environ`` (booleans as true/false, None as '')."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _json_values(path: str) -> dict[str, Any]:
    import json

    try:
        data = json.loads(_read(path))
    except (OSError, ValueError) as exc:
        raise EnvironmentFileError(f"{path}: cannot read the packaged environment: {exc}") from None
    if not isinstance(data, dict):
        raise EnvironmentFileError(f"{path}: expected a JSON object of KEY: value")
    return data


def _yaml_values(root: str) -> dict[str, Any]:
    try:
        import yaml
    except ImportError:
        return {}
    values: dict[str, Any] = {}
    for name in CONFIG_FILES:
        config = _yaml_file(yaml, os.path.join(root, name))
        if config.get("name"):
            values["NAME"] = config["name"]
            break
    for name in ENV_FILES:
        values.update(_yaml_file(yaml, os.path.join(root, name)))
    return values


def _yaml_file(yaml, path: str) -> dict[str, Any]:
    if not os.path.isfile(path):
        return {}
    try:
        data = yaml.safe_load(_read(path))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise EnvironmentFileError(f"{path}: {exc}") from None
    return {str(k): v for k, v in data.items()} if isinstance(data, dict) else {}


def packaged_values(root: str | os.PathLike) -> dict[str, Any]:
    """``tight_env.json`` under ``root`` if there is one, else the YAML env files (if PyYAML is there)."""
    root = os.fspath(root)
    packaged = os.path.join(root, ENV_JSON)
    if os.path.isfile(packaged):
        return _json_values(packaged)
    if any(os.path.isfile(os.path.join(root, name)) for name in ENV_FILES):
        return _yaml_values(root)
    return {}


def apply(root: str | os.PathLike) -> dict[str, str]:
    """Set every packaged key missing from ``os.environ``; return what was set."""
    added = {}
    for key, value in packaged_values(root).items():
        if key not in os.environ:
            os.environ[key] = added[key] = as_environ(value)
    return added
