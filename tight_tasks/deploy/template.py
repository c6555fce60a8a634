"""The app as one plain CloudFormation template (pure: no I/O, no AWS).

:func:`build` takes an :class:`App` (what :mod:`.inputs` read from tight.yml,
the env files and the models) and returns the template as a dict;
:func:`render` writes it as YAML. Resources, by kind:

* a table per model (``DeletionPolicy``/``UpdateReplacePolicy: Retain``);
* per function: an ``AWS::Logs::LogGroup`` and an ``AWS::Lambda::Function``
  (code from the ``CodeBucket``/``CodeKey`` parameters), plus what its
  ``type`` needs (:data:`FUNCTION_TYPES`: one builder per type returning
  :class:`Parts`, so other event sources plug in beside ``lambda_proxy``);
* one IAM role whose policy names the app's log groups and tables only;
* a REST API (:mod:`.restapi`) for the routes of ``lambda_proxy`` functions.

Only resource types that moto's CloudFormation creates are used, so the
offline tests can check that everything in the template exists.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: CloudWatch Logs / DynamoDB actions the functions get, on their own log groups and tables only.
LOG_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"]
TABLE_ACTIONS = [
    "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem",
    "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan",
    "dynamodb:UpdateItem",
]
#: IAM's limit on a role's inline policies (characters, whitespace excluded); above it ARNs are grouped.
POLICY_LIMIT = 10240
#: Lambda's limits on function names and on the environment (bytes of keys and values).
FUNCTION_NAME_LIMIT = 64
ENVIRONMENT_LIMIT = 4096
#: Environment keys Lambda sets itself and refuses in a function's configuration.
RESERVED_KEYS = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
})
ENV_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
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


# -- tables ----------------------------------------------------------------------------


def table_parts(spec: Mapping[str, Any], prefix: str = "") -> Parts:
    """One ``AWS::DynamoDB::Table`` that no stack operation drops, and data access to it.

    Its logical id leaves out ``prefix`` (``NAME-STAGE-``), so it is the same in every stage.
    """
    resource = {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                "Properties": dict(spec)}
    statement = {"Effect": "Allow", "Action": TABLE_ACTIONS,
                 "Resource": [{"Fn::Sub": arn} for arn in table_arns(spec["TableName"])]}
    table = spec["TableName"]
    short = table[len(prefix):] if prefix and table.startswith(prefix) and len(table) > len(prefix) else table
    return Parts({logical_id("Table", short): resource}, [statement])


# -- functions -------------------------------------------------------------------------


def check_environment(environment: Mapping[str, str]) -> dict[str, str]:
    for key in environment:
        if not ENV_KEY.fullmatch(key):
            raise TemplateError(f"environment key {key!r} is not usable on Lambda: use letters, digits and _, "
                                "starting with a letter")
        if key in RESERVED_KEYS:
            raise TemplateError(f"environment key {key} is reserved by Lambda: rename it in the env files")
    size = sum(len(k.encode()) + len(str(v).encode()) for k, v in environment.items())
    if size > ENVIRONMENT_LIMIT:
        raise TemplateError(f"the environment holds {size:,} bytes, over Lambda's {ENVIRONMENT_LIMIT:,}-byte limit: "
                            "move large values out of env.dist.yml / env.<stage>.yml")
    return {k: str(v) for k, v in sorted(environment.items())}


def function_parts(app: App, name: str, settings: Mapping[str, Any]) -> Parts:
    """The function and its log group (every type has these)."""
    fn_id, log_id = logical_id("Function", name), logical_id("Logs", name)
    group = log_group_name(app.name, app.stage, name)
    function = {
        "Type": "AWS::Lambda::Function",
        "DependsOn": [log_id],
        "Properties": {
            "FunctionName": function_name(app.name, app.stage, name),
            "Handler": f"app_index.{name}",
            "Runtime": app.runtime,
            "Architectures": [app.architecture],
            "MemorySize": int(settings["memory"]),
            "Timeout": int(settings["timeout"]),
            "Role": {"Fn::GetAtt": ["FunctionRole", "Arn"]},
            "Code": {"S3Bucket": {"Ref": "CodeBucket"}, "S3Key": {"Ref": "CodeKey"}},
            "Environment": {"Variables": dict(app.environment)},
        },
    }
    logs = {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Delete",
            "Properties": {"LogGroupName": group, "RetentionInDays": int(settings["log_retention"])}}
    statement = {"Effect": "Allow", "Action": LOG_ACTIONS, "Resource": [{"Fn::Sub": log_group_arn(group)}]}
    return Parts({log_id: logs, fn_id: function}, [statement])


def http_parts(app: App, name: str, settings: Mapping[str, Any]) -> Parts:
    """A ``lambda_proxy`` function: its routes are part of the REST API (see :mod:`.restapi`)."""
    return Parts()


#: Function type -> builder of what that type adds to :func:`function_parts`.
FUNCTION_TYPES: dict[str, Callable[[App, str, Mapping[str, Any]], Parts]] = {"lambda_proxy": http_parts}


# -- the role --------------------------------------------------------------------------


def merge_statements(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Statements with the same effect and actions become one, their resources in order, once."""
    merged: dict[tuple, dict[str, Any]] = {}
    for statement in statements:
        key = (statement["Effect"], tuple(statement["Action"]))
        target = merged.setdefault(key, {"Effect": statement["Effect"], "Action": list(statement["Action"]),
                                         "Resource": []})
        for resource in statement["Resource"]:
            if resource not in target["Resource"]:
                target["Resource"].append(resource)
    return list(merged.values())


def _policy_size(statements: list[dict[str, Any]]) -> int:
    """Characters of the policy once CloudFormation resolved it (account, region and partition allowed for)."""
    import json

    text = json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":"))
    return len(text.replace("${AWS::Partition}", "aws-us-gov").replace("${AWS::Region}", "ap-southeast-3")
               .replace("${AWS::AccountId}", "123456789012").replace('{"Fn::Sub":', "").replace("}", ""))


def group_arns(statements: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """The statements with every table or log group named ``prefix...`` covered by one ``prefix*`` ARN."""
    grouped = []
    for statement in statements:
        resources: list[Any] = []
        for resource in statement["Resource"]:
            arn = resource.get("Fn::Sub") if isinstance(resource, dict) else None
            for marker in (":table/", ":log-group:/aws/lambda/") if isinstance(arn, str) else ():
                start = arn.find(marker) + len(marker)
                if marker in arn and arn[start:].startswith(prefix):
                    resource = {"Fn::Sub": arn[:start] + prefix + "*"}
            if resource not in resources:
                resources.append(resource)
        grouped.append({**statement, "Resource": resources})
    return grouped


def role_resource(app: App, statements: list[dict[str, Any]]) -> dict[str, Any]:
    statements = merge_statements(statements)
    if _policy_size(statements) > POLICY_LIMIT:
        statements = group_arns(statements, f"{app.name}-{app.stage}-")
        if _policy_size(statements) > POLICY_LIMIT:
            raise TemplateError(f"the functions' IAM policy would exceed IAM's {POLICY_LIMIT:,}-character limit: "
                                f"name the tables {app.name}-{app.stage}-<suffix> so one ARN covers them")
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                               "Action": "sts:AssumeRole"}],
            },
            "Policies": [{"PolicyName": f"{app.name}-{app.stage}-functions",
                          "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}],
        },
    }


# -- the whole template ------------------------------------------------------------------


def build(app: App) -> dict[str, Any]:
    """The CloudFormation template of ``app`` (a dict ready for :func:`render`)."""
    from .event_sources import BUILDERS, stream_tables, with_stream
    from .restapi import api_parts

    environment = check_environment(app.environment)
    app = App(**{**app.__dict__, "environment": environment})
    builders = {**FUNCTION_TYPES, **BUILDERS}
    streams = stream_tables(app)
    parts = Parts()
    tables = {}
    for spec in app.tables:
        spec = with_stream(spec) if spec["TableName"] in streams else spec
        table = spec["TableName"]
        if table in tables:
            raise TemplateError(f"two models use the table name {table}: give each model its own '_name'")
        tables[table] = spec
        parts.add(table_parts(spec, f"{app.name}-{app.stage}-"))
    for name in sorted(app.functions):
        settings = app.functions[name]
        kind = settings.get("type", "lambda_proxy")
        if kind not in builders:
            raise TemplateError(f"function {name!r}: type {kind} cannot be deployed yet "
                                f"(deployable: {', '.join(sorted(builders))})")
        parts.add(function_parts(app, name, settings))
        parts.add(builders[kind](app, name, settings))
    parts.add(api_parts(app))
    if not parts.resources:
        raise TemplateError("the app has no functions (app/functions/NAME/handler.py) and no models: "
                            "nothing to deploy")
    resources = dict(parts.resources)
    if app.functions:  # the role exists for the functions; an app of tables alone needs none
        resources = {"FunctionRole": role_resource(app, parts.statements), **resources}
    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"{app.name} ({app.stage} stage), deployed by tight",
        "Parameters": {
            "CodeBucket": {"Type": "String", "Description": "S3 bucket holding the code zip"},
            "CodeKey": {"Type": "String", "Description": "S3 key of the code zip (named by its sha256)"},
        },
        "Resources": resources,
    }
    if parts.outputs:
        template["Outputs"] = parts.outputs
    return template


def render(template: Mapping[str, Any]) -> str:
    """The template as block-style YAML, keys in the order built."""
    import yaml

    class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
        def ignore_aliases(self, data: Any) -> bool:  # CloudFormation rejects YAML anchors and aliases
            return True

    return yaml.dump(dict(template), Dumper=Dumper, default_flow_style=False, sort_keys=False, width=4096)
