"""What a function that sends to queues or writes to buckets gets (pure): ``functions.NAME.uses``.

Every function of an app with sqs or s3 functions gets two environment variables, read by
``tight.providers.aws.clients.queues`` and ``.buckets``::

    TIGHT_QUEUES   {"orders": "<queue URL>", "mail": null}     (Fn::Sub of the queues' Refs)
    TIGHT_BUCKETS  {"thumbs": "<app>-<stage>-<bucket>"}

with a value only for the functions it lists under ``uses`` (null for the others, so the
runtime can say why it may not use them), and its role may ``sqs:SendMessage`` on exactly
those queues and ``s3:PutObject`` under exactly those buckets (:func:`grants`, in
:data:`.roles.GRANTS`).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .event_sources import bucket_name, queue_names
from .parts import PARTITION, App, TemplateError, logical_id, statement

SEND_ACTIONS = ["sqs:SendMessage"]
PUT_ACTIONS = ["s3:PutObject"]
#: Characters a resolved queue URL adds beyond the queue's name, at most (region and account filled in).
URL_OVERHEAD = len("https://sqs.ap-southeast-3.amazonaws.com/123456789012/")


def _of_type(app: App, kind: str) -> list[str]:
    return sorted(n for n, s in app.functions.items() if s.get("type") == kind)


def environment(app: App, name: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """``TIGHT_QUEUES``/``TIGHT_BUCKETS`` of function ``name`` (empty when the app has neither)."""
    queues, buckets = _of_type(app, "sqs"), _of_type(app, "s3")
    if not queues and not buckets:
        return {}
    uses = set(settings.get("uses") or ())
    urls = {q: f"${{{logical_id('Queue', q)}}}" if q in uses else None for q in queues}
    text = json.dumps(urls, separators=(",", ":"))
    result: dict[str, Any] = {"TIGHT_QUEUES": {"Fn::Sub": text} if uses & set(queues) else text,
                              "TIGHT_BUCKETS": json.dumps({b: bucket_name(app, str(app.functions[b]["bucket"]))
                                                           if b in uses else None for b in buckets},
                                                          separators=(",", ":"))}
    return result


def resolved_size(app: App, variables: Mapping[str, Any]) -> int:
    """Bytes of ``variables`` once CloudFormation resolved the queue URLs (an upper bound)."""
    size = 0
    for key, value in variables.items():
        if isinstance(value, dict):
            text = value["Fn::Sub"]
            for queue in _of_type(app, "sqs"):
                marker = f"${{{logical_id('Queue', queue)}}}"
                name = queue_names(app, queue, bool(app.functions[queue].get("fifo")))[0]
                text = text.replace(marker, "x" * (URL_OVERHEAD + len(name)))
            value = text
        size += len(key.encode()) + len(str(value).encode())
    return size


def function_environment(app: App, name: str, settings: Mapping[str, Any], limit: int) -> dict[str, Any]:
    """The app's environment plus :func:`environment`, within Lambda's ``limit`` (bytes)."""
    variables = {**app.environment, **environment(app, name, settings)}
    if resolved_size(app, variables) > limit:
        raise TemplateError(f"function {name!r}: its environment (with TIGHT_QUEUES/TIGHT_BUCKETS) would exceed "
                            f"Lambda's {limit:,}-byte limit: list fewer functions under its uses, or move large "
                            "values out of the env files")
    return variables


def grants(app: App, name: str, settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``sqs:SendMessage`` on the queues and ``s3:PutObject`` under the buckets ``name`` uses."""
    uses = list(settings.get("uses") or ())
    queues = [queue_names(app, q, bool(app.functions[q].get("fifo")))[0] for q in uses
              if app.functions.get(q, {}).get("type") == "sqs"]
    buckets = list(dict.fromkeys(bucket_name(app, str(app.functions[b]["bucket"])) for b in uses
                                 if app.functions.get(b, {}).get("type") == "s3"))
    found = []
    if queues:
        found.append(statement(SEND_ACTIONS, [{"Fn::Sub": f"{PARTITION}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{q}"}
                                              for q in queues]))
    if buckets:
        found.append(statement(PUT_ACTIONS, [{"Fn::Sub": f"{PARTITION}:s3:::{b}/*"} for b in buckets]))
    return found
