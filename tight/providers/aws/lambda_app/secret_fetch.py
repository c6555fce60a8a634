"""The AWS half of :mod:`.secrets`: fetch the referenced secrets in batches, then pick each value.

Imported only when the environment holds a reference. Error texts name the service's error
code and message, never a secret's value.
"""
from __future__ import annotations

import json

from tight.providers.aws.lambda_app.secrets import (
    SECRETS_BATCH,
    SECRETS_MANAGER,
    SSM,
    SSM_BATCH,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    Found = dict[tuple[str, str], "str | bytes"]
    Errors = dict[tuple[str, str], str]


def client(service: str) -> Any:
    """A boto3 client of ``service`` with short timeouts (a cold start must not hang on the network).

    Endpoints come from boto3's own settings (``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_SSM``...);
    the region from ``AWS_DEFAULT_REGION`` or ``AWS_REGION``.
    """
    import os

    import boto3
    from botocore.config import Config

    # at worst 2 x (1 + 3) s: inside Lambda's 10 s init phase
    config = Config(connect_timeout=1, read_timeout=3, retries={"max_attempts": 2, "mode": "standard"})
    region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or None  # Lambda sets both
    return boto3.session.Session(region_name=region).client(service, config=config)


def why(error: BaseException) -> str:
    """One line for a failed call: the service's error code and message, or the exception."""
    response = getattr(error, "response", None)
    if isinstance(response, dict) and isinstance(response.get("Error"), dict):
        detail = response["Error"]
        return f"{detail.get('Code') or 'Error'}: {detail.get('Message') or 'no message'}"
    return f"{type(error).__name__}: {error}"


def fetch(references: Iterable[tuple[str, str, str | None]], make_client: Callable[[str], Any]) -> tuple[Found, Errors]:
    """Every referenced parameter and secret: ``(found, errors)``, both keyed by ``(service, name)``."""
    references = list(references)
    found: Found = {}
    errors: Errors = {}
    parameters = sorted({name for service, name, _ in references if service == SSM})
    secrets = sorted({name for service, name, _ in references if service == SECRETS_MANAGER})
    for service, names, fetcher in ((SSM, parameters, _parameters), (SECRETS_MANAGER, secrets, _secrets)):
        if not names:
            continue
        try:
            fetcher(make_client(service), names, found, errors)
        except Exception as exc:  # noqa: BLE001 - no credentials, no region, no network, access denied...
            call = "GetParameters" if service == SSM else "GetSecretValue"
            for name in names:
                if (service, name) not in found:
                    errors.setdefault((service, name), f"{service} {call} failed: {why(exc)}")
    return found, errors


def _parameters(ssm: Any, names: list[str], found: Found, errors: Errors) -> None:
    for start in range(0, len(names), SSM_BATCH):
        batch = names[start:start + SSM_BATCH]
        answer = ssm.get_parameters(Names=batch, WithDecryption=True)
        returned = answer.get("Parameters") or []
        for name in batch:
            parameter = _parameter(name, returned)
            if parameter is not None:
                found[(SSM, name)] = parameter.get("Value") or ""
        for name in answer.get("InvalidParameters") or []:
            errors[(SSM, name)] = "ParameterNotFound: no such parameter (or version) in this account and region"


def _parameter(wanted: str, returned: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The parameter GetParameters returned for ``wanted`` (a name or ARN, maybe with ``:version``/``:label``)."""
    base, selector = wanted, ""
    if wanted.count(":") in (1, 6):  # name:selector, or arn:...:parameter/name:selector
        base, selector = wanted.rsplit(":", 1)
    candidates = [p for p in returned if base in (p.get("Name"), p.get("ARN"))]
    if selector:
        for parameter in candidates:
            if parameter.get("Selector") == ":" + selector or str(parameter.get("Version")) == selector:
                return parameter
        return None
    plain = [p for p in candidates if not p.get("Selector")]  # the current version is the highest
    return max(plain, key=lambda p: p.get("Version") or 0, default=None)


def _same(wanted: str, item: dict[str, Any]) -> bool:
    arn = item.get("ARN") or ""
    return wanted in (item.get("Name"), arn) or (wanted.startswith("arn:") and arn.startswith(wanted + "-"))


def _secret_value(item: dict[str, Any]) -> str | bytes:
    text = item.get("SecretString")
    return text if text is not None else bytes(item.get("SecretBinary") or b"")


def _secrets(manager: Any, names: list[str], found: Found, errors: Errors) -> None:
    if len(names) == 1 or not hasattr(manager, "batch_get_secret_value"):
        for name in names:
            try:
                found[(SECRETS_MANAGER, name)] = _secret_value(manager.get_secret_value(SecretId=name))
            except Exception as exc:
                if getattr(exc, "response", None) is None:
                    raise  # no credentials, region or network: every secret fails alike
                errors[(SECRETS_MANAGER, name)] = f"secretsmanager GetSecretValue failed: {why(exc)}"
        return
    for start in range(0, len(names), SECRETS_BATCH):
        batch = names[start:start + SECRETS_BATCH]
        answer = manager.batch_get_secret_value(SecretIdList=batch)
        for item in answer.get("SecretValues") or []:
            for name in batch:
                if _same(name, item):
                    found[(SECRETS_MANAGER, name)] = _secret_value(item)
        for error in answer.get("Errors") or []:
            errors[(SECRETS_MANAGER, str(error.get("SecretId")))] = (
                f"secretsmanager BatchGetSecretValue: {error.get('ErrorCode')}: {error.get('Message')}")


def pick(service: str, name: str, json_key: str | None, found: Found, errors: Errors) -> str:
    """The value a variable gets; LookupError (one line, never the secret) when there is none."""
    if (service, name) not in found:
        raise LookupError(errors.get((service, name)) or f"{service} did not return {name}")
    value = found[(service, name)]
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise LookupError("the secret is binary, not UTF-8 text") from None
    if json_key is not None:
        try:
            data = json.loads(value)
        except ValueError:
            raise LookupError(f"the secret is not a JSON object, so it has no key {json_key!r}") from None
        if not isinstance(data, dict) or json_key not in data:
            raise LookupError(f"the secret's JSON object has no key {json_key!r}")
        value = data[json_key] if isinstance(data[json_key], str) else json.dumps(data[json_key])
    if "\0" in value:
        raise LookupError("the secret holds a NUL character, which no environment variable can hold")
    return value
