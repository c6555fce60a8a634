"""The event sources of ``local.serve``: queues, buckets and streams deliver to their functions as on AWS.

One thread per source function, each stopping within a second of :meth:`EventSources.stop`:

* :class:`QueueSource`: up to ``batch_size`` messages a call; messages reported failed
  (or the whole batch when the call fails) are visible again after ``local.visibility_timeout``
  seconds; SQS moves a message to the dead-letter queue at its 6th receive (after 5);
  FIFO groups keep their order.
* :class:`BucketSource`: the S3 notifications of the function's bucket (its events and prefix),
  one event per object; a failed one is tried twice more, then dropped, as Lambda does
  with asynchronous invocations.
* :class:`StreamSource`: the records of every write to the followed table, in order, up to
  ``batch_size`` a call; on a failure the batch is retried from the first failed record.

Each call prints one line: ``<source> <function> <n> record(s) <status> <ms> ms``.
"""
from __future__ import annotations

import base64
import json
import threading
import time
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from ..console import say, warn

#: Seconds a failed message stays invisible before it is delivered again (tight.yml local.visibility_timeout).
VISIBILITY_TIMEOUT = 2
#: How often the streams are checked for new records (seconds).
STREAM_POLL = 0.05


def line(source: str, function: str, records: int, status: str, ms: float) -> str:
    return f"{source} {function} {records} record{'s' if records != 1 else ''} {status} {ms:.1f} ms"


class Source(threading.Thread):
    """One function's source: :meth:`step` runs until :meth:`stop`."""

    label = "?"

    def __init__(self, name: str, activity, settings: dict[str, Any]):
        super().__init__(name=f"tight-{self.label}-{name}", daemon=True)
        self.function, self.activity, self.settings = name, activity, settings
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.step()
            except Exception as exc:  # noqa: BLE001 - the engine stopping, or a bug: say so, go on
                if self.stopped.is_set():
                    return
                warn(f"{self.label} {self.function}: {type(exc).__name__}: {exc}")
                self.stopped.wait(1)

    def stop(self) -> None:
        self.stopped.set()

    def invoke(self, event: dict[str, Any], count: int) -> Any:
        """Call the function; returns its result, or None when the call failed (logged)."""
        started = time.perf_counter()
        try:
            result = self.activity.call(self.function, event)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - a crashing handler fails the batch, as on Lambda
            ms = (time.perf_counter() - started) * 1000
            say(line(self.label, self.function, count, f"error ({type(exc).__name__}: {exc})", ms))
            return None
        from .activity import status_of

        ms = (time.perf_counter() - started) * 1000
        say(line(self.label, self.function, count, status_of(self.settings.get("type", ""), result), ms))
        return result


def failed_ids(result: Any, everything: list[str]) -> list[str]:
    """The identifiers a result reports failed (all of them when the call failed or returned an error)."""
    if not isinstance(result, dict) or "errorType" in result:
        return list(everything)
    failures = result.get("batchItemFailures") or []
    return [str(f.get("itemIdentifier")) for f in failures if isinstance(f, dict)]


# -- SQS ---------------------------------------------------------------------------------

def sqs_record(message: dict[str, Any], arn: str) -> dict[str, Any]:
    """A received message as Lambda's event source mapping delivers it."""
    attributes = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        attributes[name] = {"stringValue": value.get("StringValue"), "stringListValues": [], "binaryListValues": [],
                            "dataType": value.get("DataType")}
        if "BinaryValue" in value:
            attributes[name]["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
            del attributes[name]["stringValue"]
    record = {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
              "body": message.get("Body", ""), "attributes": dict(message.get("Attributes") or {}),
              "messageAttributes": attributes, "md5OfBody": message.get("MD5OfBody"),
              "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": arn.split(":")[3]}
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


class QueueSource(Source):
    label = "sqs"

    def __init__(self, name, activity, settings, sqs, url: str, dlq: str, visibility: int):
        super().__init__(name, activity, settings)
        self.sqs, self.url, self.dlq, self.visibility = sqs, url, dlq, visibility
        self.arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.doomed: list[str] = []  # failed at their last receive: SQS moves them at the next one
        self.dead = self.count(dlq)

    def count(self, url: str) -> int:
        answer = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(answer["Attributes"]["ApproximateNumberOfMessages"])

    def receive(self, wait: int) -> list[dict[str, Any]]:
        batch = int(self.settings.get("batch_size") or 10)
        hidden = min(43_200, 6 * int(self.settings.get("timeout") or 30))
        messages: list[dict[str, Any]] = []
        while len(messages) < batch and not self.stopped.is_set():
            answer = self.sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=min(10, batch - len(messages)), VisibilityTimeout=hidden,
                WaitTimeSeconds=0 if messages else wait, AttributeNames=["All"], MessageAttributeNames=["All"])
            found = answer.get("Messages") or []
            messages += found
            if not found:
                break
        return messages

    def step(self) -> None:
        messages = self.receive(wait=1)
        if self.doomed:
            self.report_dead()
        if not messages:
            return
        records = [sqs_record(m, self.arn) for m in messages]
        result = self.invoke({"Records": records}, len(records))
        failed = set(failed_ids(result, [m["MessageId"] for m in messages]))
        done = [m for m in messages if m["MessageId"] not in failed]
        retry = [m for m in messages if m["MessageId"] in failed]
        for start in range(0, len(done), 10):
            self.sqs.delete_message_batch(QueueUrl=self.url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start:start + 10])])
        for start in range(0, len(retry), 10):
            self.sqs.change_message_visibility_batch(QueueUrl=self.url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": self.visibility}
                for i, m in enumerate(retry[start:start + 10])])
        from ..deploy.event_sources import MAX_RECEIVES

        self.doomed += [m["MessageId"] for m in retry
                        if int(m.get("Attributes", {}).get("ApproximateReceiveCount", 0)) >= MAX_RECEIVES]

    def report_dead(self) -> None:
        dead = self.count(self.dlq)
        moved, self.dead = dead - self.dead, dead
        for message_id in self.doomed[:max(moved, 0)]:
            say(f"sqs {self.function}: message {message_id} moved to dead-letter queue "
                f"{self.dlq.rsplit('/', 1)[-1]} after its 5th failed receive")
        self.doomed = self.doomed[max(moved, 0):]


# -- S3 ----------------------------------------------------------------------------------

def s3_record(record: dict[str, Any]) -> dict[str, Any]:
    """moto's notification record completed to what S3 sends (key encoded as S3 does, ids, requester)."""
    from tight.dev.sample_events import s3

    obj = record["s3"]["object"]
    key = unquote_plus(obj["key"])
    name = record["eventName"]
    full = s3(key, bucket=record["s3"]["bucket"]["name"], event_name=name, size=obj.get("size") or 0)["Records"][0]
    full.update(eventTime=record.get("eventTime", full["eventTime"]), awsRegion=record.get("awsRegion", "us-east-1"))
    full["s3"]["configurationId"] = record["s3"].get("configurationId", "tight-local")
    full["s3"]["object"]["key"] = quote_plus(key, safe="/")
    if "eTag" in full["s3"]["object"] and obj.get("eTag"):
        full["s3"]["object"]["eTag"] = obj["eTag"]
    return full


class BucketSource(Source):
    label = "s3"
    #: Lambda tries an asynchronous event three times in all.
    ATTEMPTS = 3

    def __init__(self, name, activity, settings, sqs, url: str, visibility: int):
        super().__init__(name, activity, settings)
        self.sqs, self.url, self.visibility = sqs, url, visibility

    def step(self) -> None:
        answer = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                          VisibilityTimeout=60, AttributeNames=["ApproximateReceiveCount"])
        for message in answer.get("Messages") or []:
            body = json.loads(message["Body"])
            records = [s3_record(r) for r in body.get("Records") or []]
            attempt = int(message["Attributes"].get("ApproximateReceiveCount", 1))
            ok = not records or self.invoke({"Records": records}, len(records)) is not None
            if ok or attempt >= self.ATTEMPTS:
                if not ok:
                    warn(f"s3 {self.function}: dropped the event for {records[0]['s3']['object']['key']} after "
                         f"{attempt} failed attempts (Lambda retries an asynchronous event twice)")
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
            else:
                self.sqs.change_message_visibility(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"],
                                                   VisibilityTimeout=self.visibility)


# -- DynamoDB streams --------------------------------------------------------------------

class StreamSource(Source):
    """Reads the embedded engine's stream of one table in this process (every writer's records)."""

    label = "stream"

    def __init__(self, name, activity, settings, table: str, visibility: int):
        super().__init__(name, activity, settings)
        self.table, self.visibility = table, visibility
        found = self._table()
        self.position = len(found.stream_shard.items) if found.stream_shard else 0  # LATEST, as deploy starts
        self.arn = f"{found.table_arn}/stream/{found.latest_stream_label}"

    def _table(self):
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        from tight.dev.local_dynamodb import SHARED_REGION

        return dynamodb_backends[DEFAULT_ACCOUNT_ID][SHARED_REGION].get_table(self.table)

    def records(self) -> list[dict[str, Any]]:
        from moto.dynamodb.models.utilities import dynamo_json_dump

        shard = self._table().stream_shard
        batch = int(self.settings.get("batch_size") or 100)
        found = shard.items[self.position:self.position + batch] if shard else []
        records = []
        for item in found:
            record = json.loads(dynamo_json_dump(item.to_json()))
            record.update(eventVersion="1.1", eventSourceARN=self.arn)
            record["dynamodb"]["ApproximateCreationDateTime"] = int(record["dynamodb"]["ApproximateCreationDateTime"])
            records.append(record)
        return records

    def step(self) -> None:
        records = self.records()
        if not records:
            self.stopped.wait(STREAM_POLL)
            return
        result = self.invoke({"Records": records}, len(records))
        numbers = [r["dynamodb"]["SequenceNumber"] for r in records]
        failed = set(failed_ids(result, numbers))
        first = next((i for i, n in enumerate(numbers) if n in failed), len(numbers))
        self.position += first
        if first < len(numbers):  # as Lambda: the shard waits, the batch is retried from the failed record
            self.stopped.wait(self.visibility)
