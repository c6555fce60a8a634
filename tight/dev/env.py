"""The app's environment: ``env.dist.yml`` < ``env.yml`` < the shell, plus ``NAME``.

Used by the pytest plugin (so models can read ``os.environ['NAME']`` and
``os.environ['STAGE']``), by ``tight dynamo.rundb`` and by ``tight env.show``.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ENV_DIST = "env.dist.yml"
ENV_FILE = "env.yml"
CONFIG_NAMES = ("tight.yml", "tight.yaml")

#: A shell value that is read as an int: plain decimal, no sign but ``-``, no leading zeros.
_INTEGER = re.compile(r"(0|-?[1-9][0-9]*)\Z")
#: Most values a YAML file may expand to (a real tight.yml holds hundreds; a "billion laughs"
#: file of nested aliases holds billions and would hang whatever copies it).
MAX_VALUES = 100_000
#: Longest environment value a process can pass on to a child on Linux (MAX_ARG_STRLEN - 1).
MAX_VALUE_BYTES = 131071


class EnvFileError(ValueError):
    """A YAML file that cannot be read; the message names the file and line."""


def find_config_file(start: str | os.PathLike) -> Path | None:
    """The nearest ``tight.yml``/``tight.yaml`` at or above ``start`` (a file or directory)."""
    here = Path(start).resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        for name in CONFIG_NAMES:
            if (folder / name).is_file():
                return folder / name
    return None


def load_yaml(path: Path) -> Any:
    """``yaml.safe_load`` a file; an unreadable or malformed one raises :class:`EnvFileError`."""
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise EnvFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise EnvFileError(f"{path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
                           f"{exc.start}); save it as UTF-8") from None
    try:
        data = yaml.safe_load(text)
        size = _expanded_size(data, {})
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}: line {mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        if "'{'" in problem or "'}'" in problem:  # a flow list [/a, /a/{id}]: {id} opens a mapping there
            problem += " (inside [...] quote a value that holds braces: [/accounts, '/accounts/{id}'])"
        raise EnvFileError(f"{where}: {problem}") from None
    except RecursionError:
        raise EnvFileError(f"{path}: its values are nested too deeply to read") from None
    if size > MAX_VALUES:
        raise EnvFileError(f"{path}: its aliases (*name) expand to more than {MAX_VALUES:,} values; "
                           "a settings file needs far fewer")
    return data


def _expanded_size(data: Any, seen: dict[int, int]) -> int:
    """How many values ``data`` holds once every alias is copied out (as a deep copy or merge would)."""
    if not isinstance(data, (dict, list)):
        return 1
    if id(data) in seen:
        return seen[id(data)]
    seen[id(data)] = 1  # a cycle counts once here; its copies are counted by the caller's sum
    children = data.values() if isinstance(data, dict) else data
    total = 1 + sum(_expanded_size(child, seen) for child in children)
    seen[id(data)] = total
    return total


def read_mapping(path: Path) -> dict[str, Any]:
    """A YAML mapping from ``path``; a missing file is empty."""
    if not Path(path).is_file():
        return {}
    data = load_yaml(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise EnvFileError(f"{path}: expected a mapping of KEY: value, got {type(data).__name__}")
    return {str(k): v for k, v in data.items()}


def read_env_file(path: Path) -> dict[str, Any]:
    """``env.dist.yml``/``env.yml``: :func:`read_mapping`, and every entry must fit an environment.

    Keys are names a process environment can hold (no ``=``, no NUL, not
    empty); values are scalars (text, numbers, booleans, dates or empty),
    never lists, mappings or binary, and no longer than a child process accepts.
    """
    data = read_mapping(path)
    for key, value in data.items():
        if not key or "=" in key or "\0" in key:
            raise EnvFileError(f"{path}: {key!r} cannot be an environment variable name")
        if isinstance(value, (list, dict, set, bytes)):
            kind = {list: "a list", dict: "a mapping", set: "a set"}.get(type(value), "binary data")
            raise EnvFileError(f"{path}: {key} is {kind}; environment values are text, numbers or "
                               "true/false (quote it to keep it as text)")
        text = as_environ(value)
        if "\0" in text:
            raise EnvFileError(f"{path}: {key} contains a NUL character, which no environment can hold")
        if len(text.encode("utf-8", "surrogatepass")) > MAX_VALUE_BYTES:
            raise EnvFileError(f"{path}: {key} is longer than {MAX_VALUE_BYTES} bytes, the most a process "
                               "can pass to another")
    return data


def parse_scalar(text: str) -> Any:
    """A shell value as tight reads it: ``true``/``false`` (any case) are booleans, plain decimal
    integers (``0``, ``42``, ``-7``; no leading zeros) are ints, everything else the exact string."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if _INTEGER.match(text):
        try:
            return int(text)
        except ValueError:  # more digits than int() converts
            return text
    return text


def app_name(app_root: Path) -> str | None:
    for name in CONFIG_NAMES:
        config = read_mapping(Path(app_root) / name)
        if config.get("name"):
            return str(config["name"])
    return None


def merge_env(dist: Mapping[str, Any], shell: Mapping[str, str], name: str | None) -> dict[str, Any]:
    """``env.yml`` contents: keys of ``dist``, each overridden by ``shell``, plus NAME."""
    merged = {key: parse_scalar(shell[key]) if key in shell else value for key, value in dist.items()}
    if name is not None:
        merged["NAME"] = name
    return dict(sorted(merged.items()))


def app_env(app_root: Path, shell: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The environment the app runs with: env.dist.yml < env.yml < shell, plus NAME."""
    root = Path(app_root)
    shell = os.environ if shell is None else shell
    values = {**read_env_file(root / ENV_DIST), **read_env_file(root / ENV_FILE)}
    name = app_name(root)
    if name is not None:
        values.setdefault("NAME", name)
    return {key: parse_scalar(shell[key]) if key in shell else value for key, value in sorted(values.items())}


def as_environ(value: Any) -> str:
    """How a YAML value is written into ``os.environ`` (booleans as true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def apply_env(app_root: Path) -> dict[str, str]:
    """Set every key of :func:`app_env` not already in ``os.environ``; return what was set."""
    added = {}
    for key, value in app_env(app_root).items():
        if key not in os.environ:
            os.environ[key] = added[key] = as_environ(value)
    return added
