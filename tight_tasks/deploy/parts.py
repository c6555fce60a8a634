"""What every template builder shares (pure): the :class:`App` read from the app, the :class:`Parts` a
builder returns, and the names and logical ids of what the template makes.

A builder (see :data:`.template.FAMILIES`) takes the :class:`App` and returns :class:`Parts`:
resources, the IAM statements each function needs, and outputs. Logical ids come from
:func:`logical_id` only, so they cannot collide by construction (see its docstring).
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Lambda's limit on function names.
FUNCTION_NAME_LIMIT = 64
PARTITION = "arn:${AWS::Partition}"


class TemplateError(ValueError):
    """The app cannot become a template; the message says what to change."""


@dataclass(frozen=True)
class App:
    """Everything the template is made of."""

    name: str
    stage: str
    runtime: str
    architecture: str
    #: Environment of every function (strings), NAME and STAGE included.
    environment: Mapping[str, str]
    #: ``table_spec`` of every model, for this stage.
    tables: list[dict[str, Any]]
    #: Function name -> settings (``tight.dev.routes.function_settings``).
    functions: Mapping[str, Mapping[str, Any]]
    #: The HTTP routes (``tight.dev.routes.routes``): ``.function`` and ``.path``.
    routes: list[Any] = field(default_factory=list)
    #: Model name (class and file) -> its table's name, for ``dynamodb_stream`` functions.
    model_tables: Mapping[str, str] = field(default_factory=dict)
    #: ``rest`` (a REST API) or ``http`` (an HTTP API): tight.yml's ``api``.
    api: str = "rest"
    #: Function name -> its ``tight.dev.auth.Rule`` (who may call it), for ``lambda_proxy`` functions.
    rules: Mapping[str, Any] = field(default_factory=dict)
    #: ``auth.jwt`` (``{"issuer", "audience"}``), or None.
    jwt: Mapping[str, Any] | None = None


@dataclass
class Parts:
    """Resources, IAM statements and outputs that one piece of the app adds."""

    resources: dict[str, Any] = field(default_factory=dict)
    statements: list[dict[str, Any]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    def add(self, other: Parts) -> Parts:
        for key, resource in other.resources.items():
            if key in self.resources:
                raise TemplateError(f"two parts of the app have the logical id {key} ({_what(resource)} and "
                                    f"{_what(self.resources[key])}): rename one of them")
        self.resources.update(other.resources)
        self.statements.extend(other.statements)
        self.outputs.update(other.outputs)
        return self


def _what(resource: Mapping[str, Any]) -> str:
    properties = resource.get("Properties") or {}
    name = properties.get("TableName") or properties.get("FunctionName") or properties.get("LogGroupName")
    return f"{resource.get('Type')} {name}" if name else str(resource.get("Type"))


# -- names -----------------------------------------------------------------------------


def stack_name(app_name: str, stage: str) -> str:
    return f"{app_name}-{stage}"


def _short(text: str, limit: int) -> str:
    """``text``, or when longer than ``limit`` its head and an 8-hex digest of the whole (stable)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit - 9]}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def function_name(app_name: str, stage: str, function: str) -> str:
    """The Lambda function name: ``<app>-<stage>-<function>`` (shortened to 64 characters)."""
    return _short(f"{app_name}-{stage}-{function}", FUNCTION_NAME_LIMIT)


def log_group_name(app_name: str, stage: str, function: str) -> str:
    return f"/aws/lambda/{function_name(app_name, stage, function)}"


def logical_id(kind: str, name: str, digest: bool = False) -> str:
    """A CloudFormation logical id: ``kind`` + ``name`` in CamelCase (+ a digest of ``name`` when asked)."""
    words = re.split(r"[^A-Za-z0-9]+", name)
    camel = "".join(w[:1].upper() + w[1:] for w in words if w)[:200]
    return kind + camel + (hashlib.sha256(name.encode()).hexdigest()[:8] if digest else "")


def table_arns(table: str) -> list[str]:
    base = f"{PARTITION}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/{table}"
    return [base, f"{base}/index/*"]


def log_group_arn(group: str) -> str:
    return f"{PARTITION}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{group}:*"
