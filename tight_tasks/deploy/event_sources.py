"""What each non-HTTP function type adds to the template (pure: no I/O, no AWS).

One builder per type, registered in :data:`BUILDERS` (read by :mod:`.functions`); each returns
:class:`~.parts.Parts` (resources and the IAM statements that source needs, granted to that function, on
its own resources only):

* ``sqs``: the queue, its dead-letter queue (redrive after ``MAX_RECEIVES``
  deliveries) and an event source mapping reporting partial batch failures; the
  role may receive/delete on that queue only.
* ``schedule``: an ``AWS::Events::Rule`` with the schedule expression targeting the
  function, and the permission letting EventBridge invoke it.
* ``s3``: the bucket ``<app>-<stage>-<bucket>`` (retained like the tables) with a
  notification per configured event and prefix, shared by every function naming
  that bucket, and the permission letting S3 invoke each; the role may read the
  objects under the prefix.
* ``schedule`` and ``s3`` functions also get :func:`.failures.async_failures` (retries, an on-failure queue);
* ``dynamodb_stream``: the stream of the model's table (:func:`.tables.stream_tables`
  enables it) and an event source mapping reporting partial batch failures, with bounded retries and an
  on-failure queue (:func:`.failures.stream_failures`); the role may read that table's stream only.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .failures import DEAD_LETTER_RETENTION, async_failures, stream_failures
from .parts import PARTITION, App, Parts, TemplateError, function_name, logical_id
from .tables import stream_table, table_id

#: Deliveries of a message before SQS moves it to the dead-letter queue.
MAX_RECEIVES = 5
SQS_ACTIONS = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
STREAM_ACTIONS = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                  "dynamodb:ListStreams"]
S3_ACTIONS = ["s3:GetObject"]
DEFAULT_S3_EVENT = "s3:ObjectCreated:*"
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
FAILURES = ["ReportBatchItemFailures"]


def _function_ref(name: str) -> dict[str, Any]:
    return {"Ref": logical_id("Function", name)}


def _function_arn(name: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id("Function", name), "Arn"]}


def _sub(arn: str) -> dict[str, str]:
    return {"Fn::Sub": arn}


def resource_name(app: App, name: str, limit: int, suffix: str = "") -> str:
    """``<app>-<stage>-<function><suffix>`` within ``limit`` characters (as the function's own name)."""
    return function_name(app.name, app.stage, name)[: limit - len(suffix)] + suffix


# -- SQS -------------------------------------------------------------------------------

def queue_names(app: App, name: str, fifo: bool = False) -> tuple[str, str]:
    """The names of ``name``'s queue and dead-letter queue (``.fifo`` ends both names of a FIFO queue)."""
    end = ".fifo" if fifo else ""
    return resource_name(app, name, 80, end), resource_name(app, name, 80, "-dlq" + end)


def sqs_parts(app: App, name: str, settings: Mapping[str, Any]) -> Parts:
    queue_id, dlq_id = logical_id("Queue", name), logical_id("DeadLetters", name)
    fifo = bool(settings.get("fifo"))
    queue, dlq = queue_names(app, name, fifo)
    batch = int(settings.get("batch_size") or 10)
    if fifo and batch > 10:
        raise TemplateError(f"function {name!r}: a FIFO queue delivers at most 10 messages a batch "
                            f"(batch_size {batch})")
    ordered = {"FifoQueue": True, "ContentBasedDeduplication": True} if fifo else {}
    resources: dict[str, Any] = {
        dlq_id: {"Type": "AWS::SQS::Queue",
                 "Properties": {"QueueName": dlq, "MessageRetentionPeriod": DEAD_LETTER_RETENTION, **ordered}},
        queue_id: {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": queue, **ordered,
            # AWS's advice: at least six times the function's timeout, so a retried batch is not seen twice.
            "VisibilityTimeout": min(43_200, 6 * int(settings["timeout"])),
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]}, "maxReceiveCount": MAX_RECEIVES},
        }},
    }
    mapping: dict[str, Any] = {
        "EventSourceArn": {"Fn::GetAtt": [queue_id, "Arn"]},
        "FunctionName": _function_ref(name),
        "BatchSize": batch,
        "FunctionResponseTypes": FAILURES,
        "Enabled": True,
    }
    if batch > 10:  # SQS refuses batches over 10 without a batching window
        mapping["MaximumBatchingWindowInSeconds"] = 1
    resources[logical_id("Events", name)] = {"Type": "AWS::Lambda::EventSourceMapping", "DependsOn": [logical_id("Role", name)],
                                              "Properties": mapping}
    outputs = {logical_id("QueueUrl", name): {"Description": f"Queue of function {name}", "Value": {"Ref": queue_id}}}
    parts = Parts(resources, outputs=outputs)
    return parts.grant(name, SQS_ACTIONS, [_sub(f"{PARTITION}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{queue}")])


# -- schedules -------------------------------------------------------------------------

def schedule_parts(app: App, name: str, settings: Mapping[str, Any]) -> Parts:
    rule_id = logical_id("Schedule", name)
    rule = {"Type": "AWS::Events::Rule", "Properties": {
        "Name": resource_name(app, name, 64),
        "Description": f"Runs function {name} of {app.name} ({app.stage})",
        "ScheduleExpression": str(settings["schedule"]).strip(),
        "State": "ENABLED",
        "Targets": [{"Id": "function", "Arn": _function_arn(name)}],
    }}
    permission = {"Type": "AWS::Lambda::Permission", "Properties": {
        "Action": "lambda:InvokeFunction",
        "FunctionName": _function_ref(name),
        "Principal": "events.amazonaws.com",
        "SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]},
    }}
    return Parts({rule_id: rule, logical_id("RuleInvoke", name): permission}).add(async_failures(app, name, settings))


# -- S3 --------------------------------------------------------------------------------

def bucket_name(app: App, bucket: str) -> str:
    """The bucket of ``functions.NAME.bucket`` for this stage: ``<app>-<stage>-<bucket>``, lower case."""
    full = f"{app.name}-{app.stage}-{bucket}".lower()
    if not BUCKET_NAME.fullmatch(full) or ".." in full:
        raise TemplateError(f"bucket {full!r} is not a valid S3 bucket name (3 to 63 lower-case letters, digits, "
                            "'-' and '.'): shorten or rename the function's bucket setting")
    return full


def _s3_filter(prefix: str | None) -> dict[str, Any]:
    return {"Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": prefix}]}}} if prefix else {}


def _events_overlap(a: str, b: str) -> bool:
    """Whether two S3 event types match a common event (``s3:ObjectCreated:*`` and ``s3:ObjectCreated:Put``)."""
    return a == b or (a.endswith(":*") and b.startswith(a[:-1])) or (b.endswith(":*") and a.startswith(b[:-1]))


def check_overlaps(app: App, bucket: str, sharing: list[str]) -> None:
    """Refuse two notifications of one bucket for a common event and overlapping prefixes: S3 rejects the
    bucket's configuration ("Configurations overlap")."""
    entries = [(function, event, app.functions[function].get("prefix") or "")
               for function in sharing for event in app.functions[function].get("events") or [DEFAULT_S3_EVENT]]
    for index, (first, event, prefix) in enumerate(entries):
        for second, other, other_prefix in entries[index + 1:]:
            if _events_overlap(event, other) and (prefix.startswith(other_prefix) or other_prefix.startswith(prefix)):
                who = f"functions {first!r} and {second!r} both get" if first != second else f"function {first!r} gets"
                raise TemplateError(
                    f"{who} {event} and {other} events of bucket {bucket} for overlapping prefixes "
                    f"({prefix!r}, {other_prefix!r}), which S3 refuses (\"Configurations overlap\"): give each "
                    "function its own prefix (functions.NAME.prefix) or event types (functions.NAME.events)")


def s3_parts(app: App, name: str, settings: Mapping[str, Any]) -> Parts:
    bucket = bucket_name(app, str(settings["bucket"]))
    permission_id = logical_id("S3Invoke", name)
    permission = {"Type": "AWS::Lambda::Permission", "Properties": {
        "Action": "lambda:InvokeFunction",
        "FunctionName": _function_ref(name),
        "Principal": "s3.amazonaws.com",
        "SourceAccount": {"Ref": "AWS::AccountId"},
        "SourceArn": _sub(f"{PARTITION}:s3:::{bucket}"),
    }}
    prefix = settings.get("prefix") or ""
    parts = Parts({permission_id: permission}).grant(name, S3_ACTIONS, [_sub(f"{PARTITION}:s3:::{bucket}/{prefix}*")])
    parts.add(async_failures(app, name, settings))
    sharing = sorted(n for n, s in app.functions.items()
                     if s.get("type") == "s3" and bucket_name(app, str(s["bucket"])) == bucket)
    if sharing[0] == name:  # the first function naming the bucket declares it, with everyone's notifications
        check_overlaps(app, bucket, sharing)
        configurations = [
            {"Event": event, "Function": _function_arn(other), **_s3_filter(app.functions[other].get("prefix"))}
            for other in sharing for event in app.functions[other].get("events") or [DEFAULT_S3_EVENT]]
        parts.resources[logical_id("Bucket", bucket[len(f"{app.name}-{app.stage}-"):], separator="-")] = {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "DependsOn": [logical_id("S3Invoke", other) for other in sharing],
            "Properties": {
                "BucketName": bucket,
                "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                   "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                "NotificationConfiguration": {"LambdaConfigurations": configurations},
            },
        }
    return parts


# -- DynamoDB streams ------------------------------------------------------------------

def dynamodb_stream_parts(app: App, name: str, settings: Mapping[str, Any]) -> Parts:
    table = stream_table(app, name, settings)
    mapping = {"Type": "AWS::Lambda::EventSourceMapping", "DependsOn": [logical_id("Role", name)], "Properties": {
        "EventSourceArn": {"Fn::GetAtt": [table_id(table, f"{app.name}-{app.stage}-"), "StreamArn"]},
        "FunctionName": _function_ref(name),
        "StartingPosition": "LATEST",
        "BatchSize": int(settings.get("batch_size") or 100),
        "FunctionResponseTypes": FAILURES,
        "Enabled": True,
    }}
    failures, dead_letters = stream_failures(app, name, settings)
    mapping["Properties"].update(failures)
    stream = _sub(f"{PARTITION}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/{table}/stream/*")
    return Parts({logical_id("Events", name): mapping}).grant(name, STREAM_ACTIONS, [stream]).add(dead_letters)


BUILDERS = {"sqs": sqs_parts, "schedule": schedule_parts, "s3": s3_parts, "dynamodb_stream": dynamodb_stream_parts}
