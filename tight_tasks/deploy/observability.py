"""Tracing, log format and alarms of the template (pure), from tight.yml's ``deploy:`` section.

* ``tracing: true`` - ``TracingConfig: Active`` on every function, ``TracingEnabled`` on the REST API's
  stage (HTTP APIs have no X-Ray tracing), and ``xray:PutTraceSegments``/``PutTelemetryRecords`` on
  every role;
* ``log_format: json`` - every function's ``LoggingConfig`` (``LogFormat: JSON``, ``log_level``
  and ``system_log_level`` from ``deploy:``, default INFO and WARN);
* ``alarms: {email: ops@example.com}`` - an SNS topic with that email subscription, and alarms
  whose ``AlarmActions`` point at it: per function ``Errors`` and ``Throttles``; per dead-letter
  queue ``ApproximateNumberOfMessagesVisible`` > 0; the API's 5XX errors; per ``dynamodb_stream``
  function ``IteratorAge``. :func:`alarm_ids` lists a function's alarms (rollouts roll back on them).

:func:`observability_parts` runs after every other family (it reads their resources: the dead-letter
queues, the API) and before the roles (its X-Ray grants go into them).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .parts import App, Parts, TemplateError, function_name, logical_id

XRAY_ACTIONS = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
LOG_FORMATS = ("text", "json")
APP_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
SYSTEM_LEVELS = ("DEBUG", "INFO", "WARN")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
TOPIC, SUBSCRIPTION, API_ALARM = "AlarmTopic", "AlarmEmail", "ServerErrorsAlarm"
#: Milliseconds behind the stream's newest record before a stream function's alarm fires.
ITERATOR_AGE_MS = 60_000


def settings(app: App) -> dict[str, Any]:
    """``tracing``, ``log_format``, ``log_level``, ``system_log_level``, ``alarms`` of ``deploy:``, checked."""
    section = app.deploy or {}
    tracing = section.get("tracing", False)
    if not isinstance(tracing, bool):
        raise TemplateError(f"deploy.tracing must be true or false, got {tracing!r}")
    log_format = str(section.get("log_format") or "text").lower()
    if log_format not in LOG_FORMATS:
        raise TemplateError(f"deploy.log_format must be text or json, got {section.get('log_format')!r}")
    levels = {}
    for key, allowed, default in (("log_level", APP_LEVELS, "INFO"), ("system_log_level", SYSTEM_LEVELS, "WARN")):
        value = str(section.get(key) or default).upper()
        if value == "WARNING":
            value = "WARN"
        if value not in allowed:
            raise TemplateError(f"deploy.{key} must be one of {', '.join(allowed)}, got {section.get(key)!r}")
        if key in section and log_format != "json":
            raise TemplateError(f"deploy.{key} needs deploy.log_format: json (Lambda sets levels only for JSON logs)")
        levels[key] = value
    alarms = section.get("alarms")
    email = None
    if alarms is not None:
        email = alarms.get("email") if isinstance(alarms, Mapping) else None
        if not isinstance(email, str) or not EMAIL.fullmatch(email.strip()):
            raise TemplateError(f"deploy.alarms needs an email address to notify (alarms: {{email: ops@example.com}}), "
                                f"got {alarms!r}")
        email = email.strip()
    return {"tracing": tracing, "log_format": log_format, **levels, "email": email}


def _alarm(description: str, namespace: str, metric: str, dimensions: dict[str, Any], statistic: str = "Sum",
           threshold: float = 0, period: int = 60) -> dict[str, Any]:
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmDescription": description, "Namespace": namespace, "MetricName": metric,
        "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
        "Statistic": statistic, "Period": period, "EvaluationPeriods": 1, "Threshold": threshold,
        "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching",
        "AlarmActions": [{"Ref": TOPIC}], "OKActions": [{"Ref": TOPIC}]}}


def alarm_ids(app: App, name: str) -> list[str]:
    """The logical ids of function ``name``'s own alarms (empty without ``deploy.alarms``)."""
    if settings(app)["email"] is None:
        return []
    ids = [logical_id("Errors", name), logical_id("Throttles", name)]
    if app.functions[name].get("type") == "dynamodb_stream":
        ids.append(logical_id("IteratorAge", name))
    return ids


def _function_alarms(app: App, name: str) -> dict[str, Any]:
    fn = function_name(app.name, app.stage, name)
    found = {
        logical_id("Errors", name): _alarm(f"{fn} raised errors", "AWS/Lambda", "Errors", {"FunctionName": fn}),
        logical_id("Throttles", name): _alarm(f"{fn} was throttled", "AWS/Lambda", "Throttles", {"FunctionName": fn}),
    }
    if app.functions[name].get("type") == "dynamodb_stream":
        found[logical_id("IteratorAge", name)] = _alarm(
            f"{fn} is over a minute behind its stream", "AWS/Lambda", "IteratorAge", {"FunctionName": fn},
            statistic="Maximum", threshold=ITERATOR_AGE_MS)
    return found


def _api_alarm(app: App, parts: Parts) -> dict[str, Any]:
    if "Api" in parts.resources:
        return {API_ALARM: _alarm(f"The REST API of {app.name} ({app.stage}) answered 5XX", "AWS/ApiGateway",
                                  "5XXError", {"ApiName": f"{app.name}-{app.stage}", "Stage": app.stage})}
    if "HttpApi" in parts.resources:
        return {API_ALARM: _alarm(f"The HTTP API of {app.name} ({app.stage}) answered 5XX", "AWS/ApiGateway",
                                  "5xx", {"ApiId": {"Ref": "HttpApi"}, "Stage": "$default"})}
    return {}


def _alarms(app: App, parts: Parts, email: str) -> Parts:
    resources: dict[str, Any] = {
        TOPIC: {"Type": "AWS::SNS::Topic", "Properties": {
            "TopicName": f"{app.name}-{app.stage}-alarms"[:256],
            "DisplayName": f"{app.name} {app.stage} alarms"[:100]}},
        SUBSCRIPTION: {"Type": "AWS::SNS::Subscription", "Properties": {
            "TopicArn": {"Ref": TOPIC}, "Protocol": "email", "Endpoint": email}},
    }
    for name in sorted(app.functions):
        resources.update(_function_alarms(app, name))
        dlq = logical_id("DeadLetters", name)
        if dlq in parts.resources:
            queue = parts.resources[dlq]["Properties"]["QueueName"]
            resources[logical_id("Backlog", name)] = _alarm(
                f"{queue} holds messages {name} failed on", "AWS/SQS", "ApproximateNumberOfMessagesVisible",
                {"QueueName": {"Fn::GetAtt": [dlq, "QueueName"]}}, statistic="Maximum", period=300)
    resources.update(_api_alarm(app, parts))
    return Parts(resources)


def observability_parts(app: App, parts: Parts) -> Parts:
    """Tracing and log format set on the functions of ``parts`` (in place), and the alarms (returned)."""
    chosen = settings(app)
    added = Parts()
    for name in sorted(app.functions):
        properties = parts.resources[logical_id("Function", name)]["Properties"]
        if chosen["tracing"]:
            properties["TracingConfig"] = {"Mode": "Active"}
            added.grant(name, XRAY_ACTIONS, ["*"])  # X-Ray's write actions take no resource
        if chosen["log_format"] == "json":
            properties["LoggingConfig"] = {"LogFormat": "JSON", "ApplicationLogLevel": chosen["log_level"],
                                           "SystemLogLevel": chosen["system_log_level"]}
    if chosen["tracing"]:
        for resource in parts.resources.values():
            if resource["Type"] == "AWS::ApiGateway::Stage":
                resource["Properties"]["TracingEnabled"] = True
            elif resource["Type"] == "AWS::ApiGateway::Deployment" and "StageName" in resource["Properties"]:
                resource["Properties"]["StageDescription"] = {"TracingEnabled": True}
    if chosen["email"]:
        added.add(_alarms(app, parts, chosen["email"]))
    return added
