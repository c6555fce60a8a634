"""Nothing lost (pure): where the events a function fails on go, for the sources that would drop them.

* ``dynamodb_stream``: the event source mapping retries a failing batch ``retries`` times (default 3),
  bisecting it to isolate the bad record, skips records older than ``max_age`` seconds (default 3600),
  then sends the batch's description to the function's dead-letter queue (``<function>-dlq``, kept 14 days)
  instead of blocking its shard for 24 hours;
* ``schedule`` and ``s3`` (invoked asynchronously): an ``AWS::Lambda::EventInvokeConfig`` with ``retries``
  (0 to 2, default 2) and ``max_age`` (default 21600 s), then the event goes to the function's dead-letter
  queue instead of being dropped.

``sqs`` functions already have their queue's redrive policy (:mod:`.event_sources`). The function's own
role may send to its dead-letter queue, and to nothing else.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .parts import App, Parts, function_name, logical_id

#: Seconds a dead letter is kept (SQS's maximum, 14 days).
DEAD_LETTER_RETENTION = 1_209_600
#: Defaults for ``functions.NAME.retries`` / ``max_age`` / ``bisect``.
STREAM_DEFAULTS = {"retries": 3, "max_age": 3600, "bisect": True}
ASYNC_DEFAULTS = {"retries": 2, "max_age": 21600}
SEND = ["sqs:SendMessage"]


def dead_letter_name(app: App, name: str, end: str = "") -> str:
    """``<app>-<stage>-<function>-dlq`` within SQS's 80 characters."""
    suffix = "-dlq" + end
    return function_name(app.name, app.stage, name)[: 80 - len(suffix)] + suffix


def dead_letters(app: App, name: str) -> Parts:
    """The function's dead-letter queue, which its role may send to."""
    queue_id = logical_id("DeadLetters", name)
    queue = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": dead_letter_name(app, name),
                                                       "MessageRetentionPeriod": DEAD_LETTER_RETENTION}}
    return Parts({queue_id: queue}).grant(name, SEND, [{"Fn::GetAtt": [queue_id, "Arn"]}])


def _on_failure(name: str) -> dict[str, Any]:
    return {"OnFailure": {"Destination": {"Fn::GetAtt": [logical_id("DeadLetters", name), "Arn"]}}}


def stream_failures(app: App, name: str, settings: Mapping[str, Any]) -> tuple[dict[str, Any], Parts]:
    """The event source mapping's failure properties, and the dead-letter queue they name."""
    values = {**STREAM_DEFAULTS, **{k: settings[k] for k in STREAM_DEFAULTS if settings.get(k) is not None}}
    properties = {"MaximumRetryAttempts": int(values["retries"]),
                  "BisectBatchOnFunctionError": bool(values["bisect"]),
                  "MaximumRecordAgeInSeconds": int(values["max_age"]),
                  "DestinationConfig": _on_failure(name)}
    return properties, dead_letters(app, name)


def async_failures(app: App, name: str, settings: Mapping[str, Any]) -> Parts:
    """Retries, event age and an on-failure queue for a function invoked asynchronously."""
    values = {**ASYNC_DEFAULTS, **{k: settings[k] for k in ASYNC_DEFAULTS if settings.get(k) is not None}}
    config = {"Type": "AWS::Lambda::EventInvokeConfig", "Properties": {
        "FunctionName": {"Ref": logical_id("Function", name)},
        "Qualifier": "$LATEST",
        "MaximumRetryAttempts": int(values["retries"]),
        "MaximumEventAgeInSeconds": int(values["max_age"]),
        "DestinationConfig": _on_failure(name),
    }}
    return dead_letters(app, name).add(Parts({logical_id("AsyncConfig", name): config}))
