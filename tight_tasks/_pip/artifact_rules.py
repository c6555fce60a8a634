"""What a Lambda zip must and must not hold, checked before ``generate.artifact`` writes anything.

* :func:`is_secret` - well-known secret files (``.env``, ``.aws/credentials``,
  ``id_rsa``, ``*.pem``, ``.npmrc`` ...) stay out of the zip, judged by the link
  and by what it points to;
* :func:`check_vendor` - the vendor dir was built for tight.yml's runtime and
  architecture and holds every requirement of ``requirements-vendor.txt``;
* :func:`app_env_json` - ``tight_env.json``, the app's env for the Lambda runtime
  (which has no PyYAML), never an AWS access key.

Only the standard library is imported here (``yaml`` lazily, through tight.dev.env).
"""
from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

from tight.dev import env as core_env

from ..config import fail
from ..envfile import credential_in
from .installers import LambdaTarget
from .requirements import REQUIREMENTS_FILE, requirement_names_in
from .vendordir import PROVIDED_BY_LAMBDA, built_for, vendored_projects

ENV_FILE = "env.yml"
#: Written at the root of the zip; read by tight/providers/aws/lambda_app/environment.py.
ENV_JSON = "tight_env.json"

#: Directories whose every file is a secret.
SECRET_DIRS = {".aws", ".ssh", ".gnupg"}
#: Names of secret files, wherever they are (vendored packages included).
SECRET_FILES = (".env", ".env.*", ".npmrc", ".pypirc", ".netrc", ".git-credentials", ".htpasswd",
                "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*")
#: Key files: secrets in the app's own code; in a vendored package usually CA bundles (certifi's cacert.pem).
KEY_FILES = ("*.pem", "*.key", "*.p12", "*.pfx")


def is_secret(parts: tuple[str, ...], in_vendor: bool, include_env: bool) -> bool:
    """Whether the file at path ``parts`` (relative to the app root) must stay out of the zip."""
    name = parts[-1]
    if name == ENV_FILE and not include_env:
        return True
    if any(part in SECRET_DIRS for part in parts[:-1]):
        return True
    patterns = SECRET_FILES if in_vendor else SECRET_FILES + KEY_FILES
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def check_vendor(root: Path, vendor: Path, shown: str, target: LambdaTarget) -> None:
    """Refuse a vendor dir built for another platform, or lacking a requirement of requirements-vendor.txt."""
    fix = f"run `{target.install_hint}`; no zip written."
    marker = built_for(vendor)
    projects = vendored_projects(vendor)
    if marker is not None and marker != target.key:
        raise fail(f"{shown} was built for {marker}, but tight.yml says {target.key}: {fix}")
    if marker is None and projects:
        raise fail(f"{shown} holds packages of an unknown platform (no {shown}/.tight-platform): {fix}")
    requirements = root / REQUIREMENTS_FILE
    if not requirements.is_file():
        return
    missing = [name for name in requirement_names_in(requirements)
               if name not in projects and name not in PROVIDED_BY_LAMBDA]
    if missing:
        listed = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise fail(f"{REQUIREMENTS_FILE} lists {listed}, not vendored in {shown}: {fix}")


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)  # dates and the like, as the environment would show them


def app_env_json(root: Path, app_name: str, include_env: bool) -> bytes:
    """``tight_env.json``: NAME, then env.dist.yml's values, then (with ``include_env``) env.yml's.

    Sorted keys and fixed formatting, so the same files give the same bytes.
    """
    values: dict[str, Any] = {"NAME": app_name}
    names = (core_env.ENV_DIST, ENV_FILE) if include_env else (core_env.ENV_DIST,)
    for name in names:
        try:
            mapping = core_env.read_env_file(root / name)
        except (core_env.EnvFileError, UnicodeDecodeError) as exc:
            raise fail(f"{exc}; fix the file and retry (no zip written).") from None
        for key, value in mapping.items():
            found = credential_in(key, "" if value is None or isinstance(value, bool) else str(value))
            if found:
                raise fail(f"{name}: {key} holds {found}; the zip must not carry it (anyone who may read the "
                           "function's code reads it): remove it, the function's role grants AWS access "
                           "(no zip written).")
        values.update({key: _json_value(value) for key, value in mapping.items()})
    return (json.dumps(values, sort_keys=True, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
