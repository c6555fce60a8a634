"""The functions family of the template (pure): per function an ``AWS::Lambda::Function`` and its
``AWS::Logs::LogGroup``, plus what its ``type`` adds (:data:`FUNCTION_TYPES`: ``lambda_proxy`` here, the
event sources from :mod:`.event_sources`)."""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .parts import (
    AWS_NAME,
    App,
    Parts,
    TemplateError,
    function_name,
    log_group_arn,
    log_group_name,
    logical_id,
)

#: CloudWatch Logs actions the functions get, on their own log groups only.
LOG_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"]
#: Lambda's limit on the environment (bytes of keys and values).
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
#: The module of the zip that holds every function's handler, and Lambda's limit on ``Handler``.
HANDLER_MODULE, HANDLER_LIMIT = "app_index", 128

#: API Gateway's integration timeout (seconds): an HTTP function running longer is cut off with a 504.
API_TIMEOUT = 29

Builder = Callable[[App, str, Mapping[str, Any]], Parts]


def timeout_warnings(app: App, section: Mapping[str, Any] | None) -> list[str]:
    """A line for each HTTP function whose ``timeout`` (as tight.yml's ``functions:`` sets it) is above
    API Gateway's; the default timeout is left alone."""
    lines = []
    for name in sorted({route.function for route in app.routes}):
        entry = (section or {}).get(name) if isinstance(section, Mapping) else None
        timeout = int(app.functions[name]["timeout"])
        if isinstance(entry, Mapping) and "timeout" in entry and timeout > API_TIMEOUT:
            lines.append(f"function {name!r}: timeout {timeout} s is above API Gateway's {API_TIMEOUT} s integration "
                         f"timeout: callers get a 504 after {API_TIMEOUT} s while it runs on (set "
                         f"functions.{name}.timeout to {API_TIMEOUT} or less, or hand the work to an sqs function)")
    return lines


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
    from .producers import function_environment

    fn_id, log_id = logical_id("Function", name), logical_id("Logs", name)
    group = log_group_name(app.name, app.stage, name)
    function = {
        "Type": "AWS::Lambda::Function",
        "DependsOn": [log_id],
        "Properties": {
            "FunctionName": function_name(app.name, app.stage, name),
            "Handler": f"{HANDLER_MODULE}.{name}",
            "Runtime": app.runtime,
            "Architectures": [app.architecture],
            "MemorySize": int(settings["memory"]),
            "Timeout": int(settings["timeout"]),
            "Role": {"Fn::GetAtt": [logical_id("Role", name), "Arn"]},
            "Code": {"S3Bucket": {"Ref": "CodeBucket"}, "S3Key": {"Ref": "CodeKey"}},
            "Environment": {"Variables": function_environment(app, name, settings, ENVIRONMENT_LIMIT)},
        },
    }
    logs = {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Delete",
            "Properties": {"LogGroupName": group, "RetentionInDays": int(settings["log_retention"])}}
    return Parts({log_id: logs, fn_id: function}).grant(name, LOG_ACTIONS, [{"Fn::Sub": log_group_arn(group)}])


def http_parts(app: App, name: str, settings: Mapping[str, Any]) -> Parts:
    """A ``lambda_proxy`` function: its routes are part of the REST API (see :mod:`.restapi`)."""
    return Parts()


def authorizer_type(app: App, name: str, settings: Mapping[str, Any]) -> Parts:
    """An authorizer function: the API's authorizers point at it (see :mod:`.authorizers`)."""
    return Parts()


#: Function type -> builder of what that type adds to :func:`function_parts` (event sources add theirs).
FUNCTION_TYPES: dict[str, Builder] = {"lambda_proxy": http_parts, "authorizer": authorizer_type}


def builders() -> dict[str, Builder]:
    from .event_sources import BUILDERS

    return {**FUNCTION_TYPES, **BUILDERS}


def functions_family(app: App) -> Parts:
    """Every function, its log group and what its type adds, in name order."""
    types = builders()
    parts = Parts()
    for name in sorted(app.functions):
        settings = app.functions[name]
        if not AWS_NAME.fullmatch(name):
            raise TemplateError(f"function {name!r}: Lambda function and log group names take only ASCII letters, "
                                f"digits, '-' and '_': rename app/functions/{name}")
        if len(f"{HANDLER_MODULE}.{name}") > HANDLER_LIMIT:
            raise TemplateError(f"function {name[:40]!r}...: its handler {HANDLER_MODULE}.<name> would be longer than "
                                f"Lambda's {HANDLER_LIMIT} characters: rename app/functions/<name> to at most "
                                f"{HANDLER_LIMIT - len(HANDLER_MODULE) - 1} characters")
        kind = settings.get("type", "lambda_proxy")
        if kind not in types:
            raise TemplateError(f"function {name!r}: type {kind} cannot be deployed yet "
                                f"(deployable: {', '.join(sorted(types))})")
        parts.add(function_parts(app, name, settings))
        parts.add(types[kind](app, name, settings))
    return parts
