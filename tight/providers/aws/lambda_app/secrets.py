"""Secret references in the environment, resolved at cold start.

An environment value may name a secret instead of holding it:

- ``ssm:/path/name``: an SSM Parameter Store parameter (SecureString decrypted; ``:version``
  or ``:label`` may follow the name, as SSM allows);
- ``secretsmanager:NAME``: a Secrets Manager secret's text (NAME or its ARN);
- ``secretsmanager:NAME:json-key``: one key of a secret that holds a JSON object.

:func:`resolve` (called by :func:`tight.providers.aws.lambda_app.app.create`, before any
handler is imported) replaces each such value in ``os.environ`` by the secret. It costs
nothing without references; with some, one batched call per service (SSM GetParameters,
ten names a call; Secrets Manager GetSecretValue for one secret, BatchGetSecretValue for
several), with boto3 only. The values stay in ``os.environ`` for the life of the
environment. A reference that cannot be resolved is logged in one line and its variable
is left unset: a function that reads it answers 500 (HTTP) or fails (other events), with
one line saying why, and the app's other functions carry on.
"""
from __future__ import annotations

import os

TYPE_CHECKING = False  # typing stays out of the cold start
if TYPE_CHECKING:
    from collections.abc import Callable, MutableMapping
    from typing import Any

SSM = "ssm"
SECRETS_MANAGER = "secretsmanager"
PREFIXES = (SSM + ":", SECRETS_MANAGER + ":")
SSM_BATCH = 10  # GetParameters takes at most 10 names
SECRETS_BATCH = 20  # BatchGetSecretValue takes at most 20 ids
SSM_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/")
SECRET_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_+=.@-")

#: Variables whose reference could not be resolved in this environment: name -> why (one line).
FAILED: dict[str, str] = {}


class BadReference(ValueError):
    """A value that starts like a reference but cannot be one (the message says why)."""


def _log():
    import logging

    return logging.getLogger("tight.lambda_app")


def is_reference(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIXES)


def parse(value: str) -> tuple[str, str, str | None] | None:
    """``(service, name, json_key)`` of a reference; None for any other value; :class:`BadReference`."""
    if not is_reference(value):
        return None
    service, _, rest = value.partition(":")
    if service == SSM:
        return SSM, _ssm_name(rest), None
    if rest.startswith("arn:"):
        parts = rest.split(":")
        if len(parts) < 7 or parts[2] != SECRETS_MANAGER or parts[5] != "secret" or not parts[6]:
            raise BadReference("a secret ARN looks like arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME")
        name, key = ":".join(parts[:7]), ":".join(parts[7:])
    else:
        name, _, key = rest.partition(":")
        if not name or len(name) > 512 or not SECRET_CHARS.issuperset(name):
            raise BadReference("a secret name is 1 to 512 letters, digits and /_+=.@-")
    if ":" in value[len(SECRETS_MANAGER) + 1 + len(name):] and not key:
        raise BadReference("the JSON key after the secret's name is empty")
    return SECRETS_MANAGER, name, key or None


def _ssm_name(text: str) -> str:
    if text.startswith("arn:"):
        parts = text.split(":")
        if len(parts) < 6 or parts[2] != SSM or not parts[5].startswith("parameter/"):
            raise BadReference("a parameter ARN looks like arn:aws:ssm:REGION:ACCOUNT:parameter/NAME")
        name, selector = parts[5][len("parameter"):], parts[6:]
    else:
        name, *selector = text.split(":")
    if (not name or len(name) > 1011 or not SSM_CHARS.issuperset(name) or "//" in name
            or ("/" in name and not name.startswith("/"))):
        raise BadReference("a parameter name is letters, digits and _.-/ (e.g. ssm:/my-app/prod/db-password)")
    if len(selector) > 1 or (selector and not selector[0]):
        raise BadReference("only one :version or :label may follow the parameter's name")
    return text


def resolve(environ: MutableMapping[str, str] | None = None,
            client: Callable[[str], Any] | None = None) -> dict[str, str]:
    """Replace every reference in ``environ`` (``os.environ``) by its secret; return the failures.

    ``client(service)`` makes the boto3 client (tests); the failures (name -> why) are also
    kept in :data:`FAILED`, and their variables removed from ``environ``.
    """
    environ = os.environ if environ is None else environ
    wanted: dict[str, tuple[str, str, str | None]] = {}
    failures: dict[str, str] = {}
    for key, value in list(environ.items()):
        if value.startswith(PREFIXES):
            try:
                wanted[key] = parse(value)
            except BadReference as exc:
                failures[key] = f"{key}={value} is not a usable reference: {exc}"
    if not wanted and not failures:
        return {}
    if wanted:
        from tight.providers.aws.lambda_app import secret_fetch

        found, errors = secret_fetch.fetch(wanted.values(), client or secret_fetch.client)
        for key, (service, name, json_key) in wanted.items():
            try:
                environ[key] = secret_fetch.pick(service, name, json_key, found, errors)
            except LookupError as exc:
                failures[key] = f"{key}={environ[key]} cannot be resolved: {exc.args[0]}"
    for key, why in failures.items():
        environ.pop(key, None)
        FAILED[key] = why
        _log().error("%s; functions that read %s answer 500", why, key)
    return failures


def unresolved(error: BaseException) -> str | None:
    """Why ``error`` (a KeyError for a variable whose reference failed) happened, else None."""
    if isinstance(error, KeyError) and error.args and isinstance(error.args[0], str):
        return FAILED.get(error.args[0])
    return None
