"""The app's queues, buckets and streams in the embedded engine, for ``local.serve``.

Named as ``tight deploy`` names them (:mod:`tight_tasks.deploy.event_sources`),
for the local stage: per sqs function a queue and its dead-letter queue (redrive
after :data:`~tight_tasks.deploy.event_sources.MAX_RECEIVES` receives, FIFO when
``fifo: true``); per s3 bucket the bucket, notifying an internal queue per s3
function (``tight-s3-<function>``, its events and prefix) that local.serve reads;
a stream (NEW_AND_OLD_IMAGES unless the model sets one) on every table a
dynamodb_stream function follows.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tight.dev.local_dynamodb import DUMMY_CREDENTIALS, SHARED_REGION

from ..deploy.event_sources import MAX_RECEIVES, bucket_name, queue_names
from ..deploy.parts import App, TemplateError
from ..deploy.tables import STREAM_VIEW, stream_table

#: Prefix of the internal queues that carry S3 notifications to local.serve (not the app's).
S3_QUEUE_PREFIX = "tight-s3-"


class ResourceError(Exception):
    """A queue, bucket or stream cannot be made locally; the message is one line."""


@dataclass
class Resources:
    """What :func:`create` made: names and URLs by function."""

    endpoint: str
    queues: dict[str, str] = field(default_factory=dict)          # sqs function -> queue URL
    dead_letters: dict[str, str] = field(default_factory=dict)    # sqs function -> DLQ URL
    buckets: dict[str, str] = field(default_factory=dict)         # s3 function -> bucket name
    notices: dict[str, str] = field(default_factory=dict)         # s3 function -> internal queue URL
    streams: dict[str, str] = field(default_factory=dict)         # dynamodb_stream function -> table name

    def environment(self, settings: dict[str, Any] | None = None) -> dict[str, str]:
        """``TIGHT_QUEUES``/``TIGHT_BUCKETS`` for a function with ``settings`` (None: one that uses every one)."""
        uses = None if settings is None else set(settings.get("uses") or ())
        queues = {n: (u if uses is None or n in uses else None) for n, u in sorted(self.queues.items())}
        buckets = {n: (b if uses is None or n in uses else None) for n, b in sorted(self.buckets.items())}
        return {"TIGHT_QUEUES": json.dumps(queues), "TIGHT_BUCKETS": json.dumps(buckets)}


def clients(endpoint: str) -> dict[str, Any]:
    """boto3 ``sqs`` and ``s3`` clients of the engine (dummy credentials, its one region)."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(region_name=SHARED_REGION, **DUMMY_CREDENTIALS)
    config = Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=30, max_pool_connections=20)
    return {name: session.client(name, endpoint_url=endpoint, config=config) for name in ("sqs", "s3")}


def local_app(name: str, stage: str, functions: dict[str, dict[str, Any]],
              model_tables: dict[str, str] | None = None) -> App:
    """The deploy template's view of the app, for its names."""
    return App(name=name, stage=stage, runtime="", architecture="", environment={}, tables=[],
               functions=functions, model_tables=model_tables or {})


def create(endpoint: str, app: App, sqs=None, s3=None) -> Resources:
    """Make every queue, bucket and stream of ``app`` in the engine at ``endpoint`` (existing ones are kept)."""
    made = Resources(endpoint)
    if sqs is None or s3 is None:
        found = clients(endpoint)
        sqs, s3 = sqs or found["sqs"], s3 or found["s3"]
    try:
        for name, settings in sorted(app.functions.items()):
            kind = settings.get("type")
            if kind == "sqs":
                _queue(sqs, app, name, settings, made)
            elif kind == "s3":
                made.buckets[name] = bucket_name(app, str(settings["bucket"]))
                made.notices[name] = sqs.create_queue(QueueName=(S3_QUEUE_PREFIX + name)[:80])["QueueUrl"]
            elif kind == "dynamodb_stream":
                made.streams[name] = stream_table(app, name, settings)
        for bucket in sorted(set(made.buckets.values())):
            _bucket(sqs, s3, app, bucket, made)
        for table in sorted(set(made.streams.values())):
            enable_stream(endpoint, table)
    except TemplateError as exc:
        raise ResourceError(str(exc)) from None
    return made


def _queue(sqs, app: App, name: str, settings: dict[str, Any], made: Resources) -> None:
    fifo = bool(settings.get("fifo"))
    queue, dlq = queue_names(app, name, fifo)
    ordered = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if fifo else {}
    made.dead_letters[name] = sqs.create_queue(QueueName=dlq, Attributes=ordered)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=made.dead_letters[name], AttributeNames=["QueueArn"])
    redrive = {"deadLetterTargetArn": arn["Attributes"]["QueueArn"], "maxReceiveCount": MAX_RECEIVES}
    made.queues[name] = sqs.create_queue(QueueName=queue, Attributes={
        **ordered, "RedrivePolicy": json.dumps(redrive)})["QueueUrl"]


def _bucket(sqs, s3, app: App, bucket: str, made: Resources) -> None:
    from botocore.exceptions import ClientError

    try:
        s3.create_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise ResourceError(f"cannot make bucket {bucket}: {exc}") from None
    configurations = []
    for name in sorted(n for n, b in made.buckets.items() if b == bucket):
        settings = app.functions[name]
        arn = sqs.get_queue_attributes(QueueUrl=made.notices[name], AttributeNames=["QueueArn"])
        entry: dict[str, Any] = {"Id": name, "QueueArn": arn["Attributes"]["QueueArn"],
                                 "Events": list(settings.get("events") or ["s3:ObjectCreated:*"])}
        if settings.get("prefix"):
            entry["Filter"] = {"Key": {"FilterRules": [{"Name": "prefix", "Value": settings["prefix"]}]}}
        configurations.append(entry)
    s3.put_bucket_notification_configuration(Bucket=bucket,
                                             NotificationConfiguration={"QueueConfigurations": configurations})


def enable_stream(endpoint: str, table: str) -> None:
    """Turn on ``table``'s stream (NEW_AND_OLD_IMAGES) unless the model already gave it one."""
    from tight.dev.local_dynamodb import DynamoDBError, call

    try:
        described = call(endpoint, "DescribeTable", {"TableName": table})["Table"]
        if not (described.get("StreamSpecification") or {}).get("StreamEnabled"):
            call(endpoint, "UpdateTable", {"TableName": table, "StreamSpecification": {
                "StreamEnabled": True, "StreamViewType": STREAM_VIEW}})
    except DynamoDBError as exc:
        raise ResourceError(f"cannot follow table {table}'s stream: {exc}") from None
