"""local.serve's event shaping (pure): SQS messages and S3 notifications as Lambda delivers them."""
from __future__ import annotations

import json
from pathlib import Path

from tight_tasks.local.sources import failed_ids, line, s3_record, sqs_record

EVENTS = Path(__file__).resolve().parent.parent / "events"
ARN = "arn:aws:sqs:us-east-1:123456789012:shop-dev-orders"


def test_a_received_message_has_every_field_of_lambdas_record():
    message = {"MessageId": "m-1", "ReceiptHandle": "r-1", "Body": '{"id": 1}', "MD5OfBody": "abc",
               "MD5OfMessageAttributes": "def",
               "Attributes": {"ApproximateReceiveCount": "2", "SentTimestamp": "1", "SenderId": "AID",
                              "ApproximateFirstReceiveTimestamp": "2"},
               "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "gift"},
                                     "raw": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}}}
    record = sqs_record(message, ARN)
    reference = json.loads((EVENTS / "sqs.json").read_text())["Records"][0]
    assert set(reference) <= set(record)
    assert record["messageAttributes"] == {
        "kind": {"stringValue": "gift", "stringListValues": [], "binaryListValues": [], "dataType": "String"},
        "raw": {"binaryValue": "AP8=", "stringListValues": [], "binaryListValues": [], "dataType": "Binary"}}
    assert (record["eventSourceARN"], record["awsRegion"], record["md5OfMessageAttributes"]) == (ARN, "us-east-1", "def")


def test_an_s3_notification_from_the_engine_is_completed_and_keeps_slashes():
    engine = {"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
              "eventTime": "2026-12-07T17:19:20.646Z", "eventName": "ObjectCreated:Put",
              "s3": {"s3SchemaVersion": "1.0", "configurationId": "thumbs",
                     "bucket": {"name": "shop-dev-uploads", "arn": "arn:aws:s3:::shop-dev-uploads"},
                     "object": {"key": "in%2Fa+b%C3%A9.txt", "size": 2, "eTag": "49f6"}}}
    record = s3_record(engine)
    reference = json.loads((EVENTS / "s3_put.json").read_text())["Records"][0]
    assert set(reference) <= set(record)
    assert set(reference["s3"]["object"]) - {"versionId"} <= set(record["s3"]["object"])  # unversioned bucket
    assert record["s3"]["object"] | {"sequencer": ""} == {"key": "in/a+b%C3%A9.txt", "size": 2, "eTag": "49f6",
                                                         "sequencer": ""}
    assert (record["eventTime"], record["s3"]["configurationId"]) == ("2026-12-07T17:19:20.646Z", "thumbs")
    removed = s3_record({**engine, "eventName": "ObjectRemoved:Delete"})
    assert "size" not in removed["s3"]["object"] and "eTag" not in removed["s3"]["object"]


def test_failures_and_the_console_line():
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "b"}]}, ["a", "b"]) == ["b"]
    assert failed_ids(None, ["a", "b"]) == ["a", "b"]
    assert failed_ids({"errorType": "NoHandler", "errorMessage": "x"}, ["a"]) == ["a"]
    assert failed_ids({"processed": 1}, ["a"]) == []
    assert line("sqs", "orders", 1, "ok", 1.25) == "sqs orders 1 record ok 1.2 ms"
    assert line("stream", "audit", 3, "1 failed", 10) == "stream audit 3 records 1 failed 10.0 ms"
