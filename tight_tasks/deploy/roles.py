"""The IAM family of the template (pure): one role per function, holding only what that function needs.

A function's role (``Role<Name>``) allows:

* what the builders granted it (:meth:`.parts.Parts.grant`): logs on its own log group, its own event
  source's actions;
* what every provider in :data:`GRANTS` returns for it: DynamoDB data actions on the tables of the models
  its code imports (``App.function_models``, found by :mod:`.imports`) plus ``functions.NAME.tables``;
  reading the ``ssm:``/``secretsmanager:`` references of its environment, on exactly those ARNs.

**Adding permissions** (secrets, queues a function sends to, ...): append a provider
``(app, name, settings) -> [statement, ...]`` to :data:`GRANTS` (build statements with
:func:`.parts.statement`), or grant from a family's builder with ``Parts.grant(name, actions, resources)``.
Grant exact ARNs: each role is kept under IAM's size limit, grouping ``NAME-STAGE-*`` ARNs only when needed.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from .parts import App, Parts, TemplateError, logical_id, statement, table_arns
from .tables import TABLE_ACTIONS

#: IAM's limit on a role's inline policies (characters, whitespace excluded); above it ARNs are grouped.
POLICY_LIMIT = 10240
#: The longest ARN an ``Fn::GetAtt`` in a statement resolves to: a queue's (the failure destinations of
#: :mod:`.failures`, the only attribute granted; queue names have up to 80 characters).
GET_ATT_ARN = len("arn:aws-us-gov:sqs:ap-southeast-3:123456789012:") + 80
#: ``App.function_models`` value meaning "every model" (``import app.models``, ``from app.models import *``).
ALL_MODELS = "*"

Grants = Callable[[App, str, Mapping[str, Any]], list[dict[str, Any]]]


def function_tables(app: App, name: str, settings: Mapping[str, Any]) -> list[str]:
    """The tables ``name`` may read and write, in the order of ``app.tables``."""
    known = [spec["TableName"] for spec in app.tables]
    imported = set(app.function_models.get(name, ()))
    wanted = set(known) if ALL_MODELS in imported else {app.model_tables[m] for m in imported
                                                         if m in app.model_tables}
    for item in settings.get("tables") or ():
        table = app.model_tables.get(item) or (item if item in known else None)
        if table is None:
            models = ", ".join(sorted(app.model_tables)) or "none"
            raise TemplateError(f"function {name!r}: tables lists {item!r}, which is not a model or table of this "
                                f"app (models: {models})")
        wanted.add(table)
    return [table for table in known if table in wanted]


def table_grants(app: App, name: str, settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    tables = function_tables(app, name, settings)
    return [statement(TABLE_ACTIONS, [{"Fn::Sub": arn} for t in tables for arn in table_arns(t)])] if tables else []


def secret_grants(app: App, name: str, settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Reading exactly the ``ssm:``/``secretsmanager:`` references of the environment (:mod:`.env_secrets`)."""
    from .env_secrets import secret_statements

    return secret_statements(app.environment)


#: Providers of each function's statements, beside what the families granted (see the module's docstring).
def producer_grants(app: App, name: str, settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    from .producers import grants

    return grants(app, name, settings)


GRANTS: list[Grants] = [table_grants, secret_grants, producer_grants]


def merge_statements(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Statements with the same effect and actions become one, their resources in order, once."""
    merged: dict[tuple, dict[str, Any]] = {}
    for item in statements:
        key = (item["Effect"], tuple(item["Action"]))
        target = merged.setdefault(key, {"Effect": item["Effect"], "Action": list(item["Action"]), "Resource": []})
        for resource in item["Resource"]:
            if resource not in target["Resource"]:
                target["Resource"].append(resource)
    return list(merged.values())


def _resolved(resource: Any) -> Any:
    """A statement's resource as CloudFormation resolves it, at its longest (an ``Fn::GetAtt``: a queue's ARN)."""
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        return resource["Fn::Sub"]
    return "x" * GET_ATT_ARN if isinstance(resource, dict) else resource


def _policy_size(statements: list[dict[str, Any]]) -> int:
    """Characters of the policy once CloudFormation resolved it (account, region and partition allowed for)."""
    resolved = [{**item, "Resource": [_resolved(r) for r in item["Resource"]]} for item in statements]
    text = json.dumps({"Version": "2012-10-17", "Statement": resolved}, separators=(",", ":"))
    return len(text.replace("${AWS::Partition}", "aws-us-gov").replace("${AWS::Region}", "ap-southeast-3")
               .replace("${AWS::AccountId}", "123456789012"))


def group_arns(statements: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """The statements with every table or log group named ``prefix...`` covered by one ``prefix*`` ARN."""
    grouped = []
    for item in statements:
        resources: list[Any] = []
        for resource in item["Resource"]:
            arn = resource.get("Fn::Sub") if isinstance(resource, dict) else None
            for marker in (":table/", ":log-group:/aws/lambda/") if isinstance(arn, str) else ():
                start = arn.find(marker) + len(marker)
                if marker in arn and arn[start:].startswith(prefix):
                    resource = {"Fn::Sub": arn[:start] + prefix + "*"}
            if resource not in resources:
                resources.append(resource)
        grouped.append({**item, "Resource": resources})
    return grouped


def role_resource(app: App, name: str, statements: list[dict[str, Any]]) -> dict[str, Any]:
    """The role of function ``name`` with ``statements`` as its one inline policy."""
    statements = merge_statements(statements)
    if _policy_size(statements) > POLICY_LIMIT:
        statements = group_arns(statements, f"{app.name}-{app.stage}-")
        if _policy_size(statements) > POLICY_LIMIT:
            raise TemplateError(f"function {name!r}: its IAM policy would exceed IAM's {POLICY_LIMIT:,}-character "
                                f"limit: name the tables {app.name}-{app.stage}-<suffix> so one ARN covers them")
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": f"Function {name} of {app.name} ({app.stage}), deployed by tight",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                               "Action": "sts:AssumeRole"}],
            },
            "Policies": [{"PolicyName": "function", "PolicyDocument": {"Version": "2012-10-17",
                                                                     "Statement": statements}}],
        },
    }


def roles_family(app: App, parts: Parts) -> Parts:
    """A role per function, from ``parts``' grants (what the other families made) and :data:`GRANTS`."""
    roles = Parts()
    for name in sorted(app.functions):
        settings = app.functions[name]
        statements = list(parts.grants.get(name, ()))
        for provider in GRANTS:
            statements.extend(provider(app, name, settings))
        roles.resources[logical_id("Role", name)] = role_resource(app, name, statements)
    return roles
