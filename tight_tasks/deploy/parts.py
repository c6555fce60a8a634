"""What every template builder shares (pure): the :class:`App` read from the app, the :class:`Parts` a
builder returns, and the names and logical ids of what the template makes.

A builder (see :data:`.template.FAMILIES`) takes the :class:`App` and returns :class:`Parts`:
resources, the IAM statements each function's own role needs (:meth:`Parts.grant`), and outputs.
Logical ids come from :func:`logical_id` only, so they cannot collide by construction (see its
docstring); a new kind of resource registers its prefix in :data:`KINDS`.
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
#: What Lambda accepts in a function name and CloudWatch Logs in a log group name, both made of it.
AWS_NAME = re.compile(r"[A-Za-z0-9_-]+")

#: Prefixes of logical ids made from a name (:func:`logical_id`). None is a prefix of another, so the kind
#: of an id is known from its start and two kinds never make the same id. Add new kinds here.
KINDS = frozenset({
    "Function", "Logs", "Role", "Table",
    "ApiPath", "ApiAny", "ApiInvoke", "ApiDeployment",
    "Queue", "DeadLetters", "Events", "Schedule", "RuleInvoke", "S3Invoke", "Bucket",
    "AsyncConfig", "Stack", "ApiOptions",
    "HttpIntegration", "HttpInvoke", "HttpRoute", "HttpOptions", "Authorizer", "AuthInvoke",
    "LambdaUrl", "UrlPublic", "UrlInvoke",
    "Version", "Alias", "DeployGroup", "Errors", "Throttles", "IteratorAge", "Backlog",
})
#: Logical ids of resources without a name (one per template); none starts with a kind, so no named id equals one.
SINGLETONS = frozenset({"Api", "ApiStage", "ApiAccessLogs", "HttpApi", "HttpApiStage", "HttpApiAccessLogs",
                        "JwtAuthorizer", "AlarmTopic", "AlarmEmail", "ServerErrorsAlarm", "DeployApplication",
                        "DeployServiceRole"})
#: The same for outputs (their own namespace).
OUTPUT_KINDS, OUTPUT_SINGLETONS = frozenset({"QueueUrl"}), frozenset({"ApiUrl"})


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
    #: Function name -> the models (class or file names) its code imports; ``*``: all (see :mod:`.imports`).
    function_models: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: tight.yml's ``deploy:`` section (``protect``, ``throttle``, ...).
    deploy: Mapping[str, Any] = field(default_factory=dict)
    #: Table name -> the model's deploy-only options (``point_in_time_recovery``).
    table_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: sha256 (hex) of the code zip, when known (deploy): versions are named after it (see :mod:`.versions`).
    code_sha256: str = ""
    #: Invoke every function through its ``live`` alias (False against a stand-in that has no aliases).
    aliases: bool = True
    #: The nested stack (part number) each resource is deployed in: a redeploy keeps them there.
    placement: Mapping[str, int] = field(default_factory=dict)


@dataclass
class Parts:
    """Resources, IAM statements and outputs that one piece of the app adds."""

    resources: dict[str, Any] = field(default_factory=dict)
    #: Function name -> IAM statements its own role gets (see :mod:`.roles`).
    grants: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)

    def add(self, other: Parts) -> Parts:
        for key, resource in other.resources.items():
            if key in self.resources:
                raise TemplateError(f"two parts of the app have the logical id {key} ({_what(resource)} and "
                                    f"{_what(self.resources[key])}): rename one of them")
        self.resources.update(other.resources)
        for function, statements in other.grants.items():
            self.grants.setdefault(function, []).extend(statements)
        self.outputs.update(other.outputs)
        return self

    def grant(self, function: str, actions: list[str], resources: list[Any]) -> Parts:
        """Let ``function`` (its role) do ``actions`` on ``resources`` (ARNs, ``Fn::Sub`` or ``Fn::GetAtt``)."""
        self.grants.setdefault(function, []).append(statement(actions, resources))
        return self


def statement(actions: list[str], resources: list[Any]) -> dict[str, Any]:
    """An ``Allow`` IAM statement."""
    return {"Effect": "Allow", "Action": list(actions), "Resource": list(resources)}


def api_permission(function: str, api: str, under: str = "*") -> dict[str, Any]:
    """Lets API Gateway's API ``api`` (a logical id) invoke ``function``, for ``under`` that API only
    (``*``: its stages and routes; ``authorizers/${Id}``: one authorizer)."""
    return {"Type": "AWS::Lambda::Permission",
            "Properties": {"Action": "lambda:InvokeFunction", "Principal": "apigateway.amazonaws.com",
                           "FunctionName": {"Fn::GetAtt": [logical_id("Function", function), "Arn"]},
                           "SourceArn": {"Fn::Sub": f"{PARTITION}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:"
                                                    f"${{{api}}}/{under}"}}}


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


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:8]


def logical_id(kind: str, name: str, digest: bool = False, separator: str = "_") -> str:
    """The logical id of ``name``'s resource of ``kind`` (one of :data:`KINDS`), different for every
    (kind, name) pair.

    A plain name (lower-case words of letters and digits joined by ``separator``: ``my_fn``,
    ``user-profiles`` for tables) reads back from its id: ``FunctionMyFn``. Any other name (``myFn``,
    ``a_1``, ``my__fn``) gets ``0`` and a digest of the whole name before its CamelCase
    (``Function0c1f2a3b4MyFn``): ids of plain names go on with a capital letter, so the two never meet.
    ``digest``: always ``kind`` + CamelCase + digest (the REST API's paths).
    """
    if kind not in KINDS | OUTPUT_KINDS:
        raise ValueError(f"logical id kind {kind!r} is not registered in tight_tasks.deploy.parts.KINDS")
    words = re.split(r"[^A-Za-z0-9]+", name)
    camel = "".join(w[:1].upper() + w[1:] for w in words if w)
    if digest:
        return kind + camel[:200] + _digest(name)
    part = r"[a-z][a-z0-9]*"
    if re.fullmatch(rf"{part}(?:{re.escape(separator)}{part})*", name) and len(camel) <= 200:
        return kind + camel
    return kind + "0" + _digest(name) + camel[:200]


def table_arns(table: str) -> list[str]:
    base = f"{PARTITION}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/{table}"
    return [base, f"{base}/index/*"]


def log_group_arn(group: str) -> str:
    return f"{PARTITION}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{group}:*"
