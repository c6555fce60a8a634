"""Secrets and the env files that feed a template (pure).

* :func:`check_env_file`: an env file (env.dist.yml, env.<stage>.yml) holding an AWS access key
  is refused; a reference (``ssm:``/``secretsmanager:``) must parse as the runtime reads it
  (:mod:`tight.providers.aws.lambda_app.secrets`); a literal value under a secret-looking name
  (``*PASSWORD*``, ``*SECRET*``, ``*TOKEN*``, ``*API_KEY*``) gives a warning naming the key.
* :func:`secret_statements`: the IAM statements a function needs to resolve the references of
  its environment: ``ssm:GetParameter(s)`` and ``secretsmanager:GetSecretValue`` on exactly
  those ARNs (plus ``secretsmanager:BatchGetSecretValue``, which has no resource type, when
  several secrets are read in one call).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tight.providers.aws.lambda_app.secrets import (
    SECRETS_MANAGER,
    SSM,
    BadReference,
    parse,
)

from ..envfile import credential_in
from .parts import PARTITION, TemplateError

SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN", "API_KEY")

SSM_ACTIONS = ["ssm:GetParameter", "ssm:GetParameters"]
SECRET_ACTIONS = ["secretsmanager:GetSecretValue"]


def check_env_file(label: str, values: Mapping[str, Any]) -> list[str]:
    """Refuse (:class:`TemplateError`) credentials and bad references in one env file; return warnings."""
    warnings = []
    for key, value in values.items():
        text = "" if value is None or isinstance(value, bool) else str(value)
        found = credential_in(key, text)
        if found:
            raise TemplateError(f"{label}: {key} holds {found}; keys never go into a template (anyone who can read "
                                "the function's configuration reads them): remove it, the function's role grants "
                                "AWS access")
        try:
            reference = parse(text)
        except BadReference as exc:
            raise TemplateError(f"{label}: {key}={text} is not a usable reference: {exc}") from None
        if reference is None and text and any(word in key.upper() for word in SECRET_WORDS):
            warnings.append(f"Warning: {label}: {key} holds a literal value, readable by anyone who can read the "
                            f"template or the function's configuration; store it in SSM or Secrets Manager and "
                            f"write {key}: ssm:/NAME (or secretsmanager:NAME)")
    return warnings


def _arn_base(name: str) -> str:
    """``name`` (a parameter name or ARN, maybe ``:version``/``:label``) without its selector."""
    if name.startswith("arn:"):
        return ":".join(name.split(":")[:6])
    return name.split(":", 1)[0]


def parameter_arn(name: str) -> Any:
    base = _arn_base(name)
    if base.startswith("arn:"):
        return base
    path = base if base.startswith("/") else f"/{base}"
    return {"Fn::Sub": f"{PARTITION}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{path}"}


def secret_arns(name: str) -> list[Any]:
    """A secret by name matches its ARN's random 6-character suffix; a full ARN is itself."""
    if name.startswith("arn:"):
        return [name, f"{name}-??????"]
    return [{"Fn::Sub": f"{PARTITION}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{name}-??????"}]


def secret_statements(environment: Mapping[str, str]) -> list[dict[str, Any]]:
    """What a function with ``environment`` needs to resolve its references (none: [])."""
    parameters: list[Any] = []
    secrets: list[Any] = []
    names = set()
    for value in environment.values():
        reference = parse(value)
        if reference is None:
            continue
        service, name, _ = reference
        if service == SSM:
            arn = parameter_arn(name)
            if arn not in parameters:
                parameters.append(arn)
        elif service == SECRETS_MANAGER and name not in names:
            names.add(name)
            secrets.extend(arn for arn in secret_arns(name) if arn not in secrets)
    statements = []
    if parameters:
        statements.append({"Effect": "Allow", "Action": list(SSM_ACTIONS), "Resource": parameters})
    if secrets:
        statements.append({"Effect": "Allow", "Action": list(SECRET_ACTIONS), "Resource": secrets})
    if len(names) > 1:  # read in one BatchGetSecretValue call, an action with no resource type
        statements.append({"Effect": "Allow", "Action": ["secretsmanager:BatchGetSecretValue"], "Resource": ["*"]})
    return statements
