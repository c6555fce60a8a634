"""``env.yml``: write it (generate.env), show it (env.show), check it (env.check); and AWS credentials
in env values (:func:`credential_in`), which nothing tight ships may hold."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from .config import fail
from .console import warn


def _load(path: Path) -> dict:
    from tight.dev.env import EnvFileError, read_env_file

    try:
        return read_env_file(path)
    except EnvFileError as exc:
        raise fail(f"{exc}; fix the file and retry.") from None


def flow(values: dict) -> str:
    """One-line YAML flow mapping, as the reference prints it: ``{CI: false, NAME: my-service}``."""
    import yaml

    return yaml.safe_dump(values, default_flow_style=True, width=10**6, sort_keys=True).strip()


def generate_env(app_root: Path, app_settings: dict, reset: bool = False) -> dict:
    """Write ``env.yml`` = env.dist.yml keys (existing env.yml values kept unless ``reset``),
    each overridden by the shell when set there, plus NAME from tight.yml."""
    import yaml

    from tight.dev.env import merge_env

    dist_path = app_root / "env.dist.yml"
    env_path = app_root / "env.yml"
    if not dist_path.is_file():
        raise fail(f"{dist_path} is missing: create it with the app's variables (e.g. STAGE: dev).")
    base = _load(dist_path)
    default_stage = base.get("STAGE")
    if not reset:
        base.update(_load(env_path))
    values = merge_env(base, os.environ, app_settings.get("name"))
    text = yaml.safe_dump(values, default_flow_style=False, sort_keys=True, allow_unicode=True)
    try:
        _write(env_path, text)
    except OSError as exc:
        raise fail(f"Cannot write {env_path}: {exc.strerror or exc}; env.yml is unchanged.") from None
    print(flow(values))
    for line in shell_notes(base, values, default_stage):
        warn(line)
    return values


def shell_notes(base: dict, values: dict, default_stage=None) -> list[str]:
    """One line per key whose value in env.yml now comes from the shell and differs from the files'.

    A ``STAGE`` taken from the shell (other than env.dist.yml's) is easy to miss and changes every
    local table name: that gets a second line.
    """
    from tight.dev.env import as_environ

    notes = []
    for key in sorted(k for k in base if k in os.environ and values.get(k) != base[k]):
        notes.append(f"env.yml: {key}: {as_environ(values[key])} comes from the shell's {key}={os.environ[key]} "
                     f"(was {as_environ(base[key])!r}).")
    if "STAGE" in os.environ and values.get("STAGE") not in (base.get("STAGE"), default_stage):
        stage, name = as_environ(values["STAGE"]), as_environ(values.get("NAME") or "NAME")
        notes.append(f"dynamo.rundb, local.serve, local.invoke and the app's tests now use the {stage} stage's tables "
                     f"({name}-{stage}-...); to go back: `STAGE={as_environ(default_stage or 'dev')} tight "
                     "generate.env`.")
    return notes


def _write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def show_env(app_root: Path, app_settings: dict) -> dict:
    """Print the environment the app runs with (env.dist.yml < env.yml < shell, plus NAME)."""
    from tight.dev.env import EnvFileError, app_env

    try:
        values = app_env(app_root)
    except EnvFileError as exc:
        raise fail(f"{exc}; fix the file and retry.") from None
    import yaml

    print(yaml.safe_dump(values, default_flow_style=False, sort_keys=True), end="")
    return values


def check_env(app_root: Path) -> list[str]:
    """Report keys of env.dist.yml missing from env.yml; exit 1 when any."""
    dist_path = app_root / "env.dist.yml"
    if not dist_path.is_file():
        raise fail(f"{dist_path} is missing: env.check compares env.yml with it; create it with the app's "
                   "variables (e.g. STAGE: dev).")
    dist = _load(dist_path)
    env_path = app_root / "env.yml"
    if not env_path.is_file():
        raise fail(f"{env_path} is missing: run `tight generate.env` to create it.")
    missing = sorted(set(dist) - set(_load(env_path)))
    if missing:
        raise fail(f"env.yml lacks {', '.join(missing)} from env.dist.yml: run `tight generate.env` to add them.")
    print(f"env.yml has every key of env.dist.yml ({len(dist)}).")
    return missing


# -- AWS credentials in env values ---------------------------------------------------------------

#: An access key id (long-term AKIA, temporary ASIA) anywhere in a value.
ACCESS_KEY_ID = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z2-7]{16}(?![A-Z0-9])")
#: A 40-character secret access key: base64 letters with upper case, lower case and a digit (not a hex digest).
SECRET_KEY = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
#: Variables that hold AWS credentials by their name.
CREDENTIAL_KEYS = frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY"})


def _is_secret_key(text: str) -> bool:
    return (any(c.isupper() for c in text) and any(c.islower() for c in text)
            and any(c.isdigit() for c in text))


def holds_access_key(value: str) -> str | None:
    """What kind of AWS credential ``value`` holds ("an access key id", "a secret access key"), or None."""
    if ACCESS_KEY_ID.search(value):
        return "an AWS access key id (AKIA.../ASIA...)"
    if any(_is_secret_key(match) for match in SECRET_KEY.findall(value)):
        return "what looks like an AWS secret access key (40 characters)"
    return None


def credential_in(key: str, value: str) -> str | None:
    """What AWS credential env ``key=value`` holds (for a one-line refusal; never the value), or None."""
    return holds_access_key(value) or ("an AWS credential" if key in CREDENTIAL_KEYS and value else None)
