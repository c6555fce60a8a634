"""Where the app is and what its ``tight.yml`` says.

Every task acts on the *app root*: the directory holding ``tight.yml`` (or
``tight.yaml``), found in the current directory or its nearest parent.  The
``tight`` Program loads that file as invoke project config; under plain
``inv`` (a user's own ``tasks.py``) :func:`settings` reads it itself, so
composed tasks see the same values.

Only ``invoke`` and the stdlib-only ``tight.dev.env`` are imported here
(``yaml`` lazily): this module is on the start-up path of every command.
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from invoke.exceptions import Exit

from tight.dev import env

CONFIG_NAMES = env.CONFIG_NAMES

#: Keys of ``tight.yml`` and their defaults.
DEFAULTS: dict[str, Any] = {
    "provider": "aws",
    "name": None,
    "vendor_dir": "app/vendored",
    "runtime": "python3.12",
    "architecture": "x86_64",
    "api": "rest",
}


#: Longest app, function or model name (see :mod:`tight_tasks.naming`).
MAX_NAME = 64
#: ``name`` in tight.yml: it names DynamoDB tables, the zip and AWS resources.
CONFIG_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")


def fail(message: str, code: int = 1) -> Exit:
    """An :class:`invoke.Exit` carrying a one-line message (raise it)."""
    return Exit(message, code=code)


def usage_error(message: str) -> Exit:
    """A usage error: exit code 2."""
    return Exit(message, code=2)


@contextmanager
def os_errors(doing: str):
    """Turn an :class:`OSError` (permission denied, disk full, ...) into a one-line error."""
    try:
        yield
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        raise fail(f"Cannot {doing} ({exc.strerror or exc}{where}); nothing was changed.") from None


def port_number(value: Any, example: int) -> int:
    """``--port`` as an int (invoke passes strings): a usage error when it is not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise usage_error(f"--port {value!r} is not a number: give a TCP port such as {example}.") from None


def require_env_file(root: Path, reader: str) -> None:
    """Fail unless the app at ``root`` has its ``env.yml`` (``reader`` reads NAME and STAGE from it)."""
    if not (Path(root) / "env.yml").is_file():
        raise fail(f"No env.yml in {root}: run `tight generate.env` first ({reader} reads NAME and STAGE from it).")


def find_config_file(start: str | os.PathLike | None = None) -> Path | None:
    """Return the nearest ``tight.yml``/``tight.yaml`` at or above ``start`` (default: the cwd)."""
    return env.find_config_file(start or os.getcwd())


def find_app_root(start: str | os.PathLike | None = None) -> Path | None:
    """Return the directory of the nearest ``tight.yml``, or ``None``."""
    found = find_config_file(start)
    return found.parent if found else None


def app_root(start: str | os.PathLike | None = None) -> Path:
    """Like :func:`find_app_root`, but fail with a one-line error outside an app."""
    root = find_app_root(start)
    if root is None:
        where = Path(start or os.getcwd()).resolve()
        raise fail(
            f"No tight.yml found in {where} or any parent directory: run this "
            "inside a tight app, or create one with `tight generate.app NAME`."
        )
    return root


def load_yaml_file(path: Path) -> Any:
    """``yaml.safe_load`` a file; malformed YAML is a one-line error with file and line."""
    try:
        return env.load_yaml(path)
    except env.EnvFileError as exc:
        raise fail(f"{exc}; fix the file and retry.") from None


def read_app_config(path: Path, sections: dict[str, dict] | None = None) -> dict[str, Any]:
    """Read ``tight.yml``: a mapping, or a one-line error saying what is wrong.

    The top-level keys of :data:`DEFAULTS` must be text; each of ``sections``
    (``{"dynamo": dynamo's defaults, ...}``) must be a mapping, whose keys
    with a single default value hold a single value.
    """
    data = load_yaml_file(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise fail(f"{path}: expected a mapping of keys (provider, name, ...), got {type(data).__name__}.")
    check_app_config(path, data, sections)
    return data


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list"}.get(type(value), f"{type(value).__name__} {value!r}"[:80])


def check_app_config(path: Path, data: dict, sections: dict[str, dict] | None = None) -> None:
    """Fail with one line when a known key of ``tight.yml`` has the wrong shape."""
    for key, default in DEFAULTS.items():
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise fail(f"{path}: '{key}' must be text (e.g. {key}: {default or 'my-service'}), "
                       f"not {_kind(value)}.")
    name = data.get("name")
    if isinstance(name, str) and name and (not CONFIG_NAME.match(name) or len(name) > MAX_NAME):
        raise fail(f"{path}: name {name[:MAX_NAME + 1]!r} must be at most {MAX_NAME} letters, digits, '-', '_' "
                   "and '.', starting with a letter or digit: it names the app's tables, zip and AWS resources.")
    _check_auth(path, data)
    for key, defaults in (sections or {}).items():
        value = data.get(key)
        if value is not None and not isinstance(value, dict):
            raise fail(f"{path}: '{key}' must be a mapping of settings (key: value lines indented under {key}:), "
                       f"not {_kind(value)}.")
        for option, setting in (value or {}).items():
            default = defaults.get(option)
            single = default is not None and not isinstance(default, (dict, list))
            if single and isinstance(setting, (dict, list)):
                raise fail(f"{path}: '{key}.{option}' must be a single value (like {default!r}), "
                           f"not {_kind(setting)}.")


def _check_auth(path: Path, data: dict) -> None:
    """``api:``, ``auth:`` and the functions' auth settings (:mod:`tight.dev.auth`), as one line."""
    if not any(key in data for key in ("api", "auth", "functions")):
        return
    from tight.dev.auth import AuthConfigError, check

    try:
        check(data)
    except AuthConfigError as exc:
        raise fail(f"{path}: {exc}.") from None


def settings(c: Any = None, section: str | None = None, defaults: dict | None = None) -> dict[str, Any]:
    """The effective settings for a task, with every missing key filled in.

    ``section=None`` gives the top-level ``tight.yml`` keys (:data:`DEFAULTS`
    plus ``defaults``); a section name (``"dynamo"``, ``"pip"``) gives that
    mapping filled from ``defaults`` (invoke merges collection config
    shallowly, so a partial section in ``tight.yml`` would otherwise hide the
    module's defaults).

    Order, lowest first: ``defaults`` < invoke config (collection defaults,
    ``tight.yml`` when the ``tight`` Program loaded it, ``TIGHT_*`` env vars)
    < the app's ``tight.yml`` when running under plain ``inv``.
    """
    result: dict[str, Any] = dict(DEFAULTS) if section is None else {}
    result.update(defaults or {})
    config = getattr(c, "config", None)
    layers = [config] if config is not None else []
    if not getattr(config, "tight_loaded", False):
        path = find_config_file()
        if path is not None:
            layers.append(read_app_config(path, None if section is None else {section: defaults or {}}))
    for layer in layers:
        values = layer if section is None else layer.get(section)
        if not hasattr(values, "items"):
            continue
        for key, value in values.items():
            if value is not None and (section is not None or key in result):
                result[key] = value
    return result
