"""``tight local.token``: a JWT for tight.yml's ``auth.jwt``, signed with the app's local key."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..config import fail, find_config_file, read_app_config, usage_error

#: The longest --expires-in: a day (a local token is for building front ends, not for keeping).
MAX_EXPIRES = 86400


def parse_claims(values: list[str]) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.strip():
            raise usage_error(f"--claim {value!r} must look like name=value.")
        try:
            claims[name.strip()] = json.loads(text)
        except ValueError:
            claims[name.strip()] = text
    return claims


def print_token(root: Path, sub: str, scopes: list[str], claims: list[str], expires_in: Any) -> None:
    from tight.dev.auth import AuthConfigError, jwt_settings

    try:
        seconds = int(expires_in)
    except (TypeError, ValueError):
        raise usage_error(f"--expires-in {expires_in!r} is not a number of seconds.") from None
    if not 1 <= seconds <= MAX_EXPIRES:
        raise usage_error(f"--expires-in {seconds} must be from 1 to {MAX_EXPIRES} seconds.")
    path = find_config_file(root)
    try:
        settings = jwt_settings(read_app_config(path) if path else {})
    except AuthConfigError as exc:
        raise fail(f"tight.yml: {exc}.") from None
    if settings is None:
        raise fail("tight.yml has no auth.jwt: add auth: {jwt: {issuer: https://..., audience: [client-id]}} "
                   "(the token is made for that issuer and audience).")
    from .tokens import issue

    print(issue(root, settings, sub=sub, scopes=scopes, claims=parse_claims(claims), expires_in=seconds))
