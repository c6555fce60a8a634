"""tight.dev.sample_events: the sample events read back by the controllers as AWS's would be."""
from __future__ import annotations

import decimal
import hashlib

import pytest
from events_helpers import as_handler_of, load_event

from tight.dev import sample_events
from tight.providers.aws.controllers import dynamodb_stream_event, s3_event, sqs_event
from tight.providers.aws.events import stream


def same_shape(sample, real):
    """Every key of the real AWS event is in the sample, recursively (lists: their first item)."""
    if isinstance(real, dict):
        assert isinstance(sample, dict)
        for key, value in real.items():
            if key in ("md5OfMessageAttributes", "userIdentity", "versionId", "size", "eTag",
                       "OldImage"):
                continue  # optional in AWS's own events
            assert key in sample, key
            if key not in ("messageAttributes", "Keys", "NewImage", "detail"):  # data, not format
                same_shape(sample[key], value)
    elif isinstance(real, list) and real:
        assert isinstance(sample, list) and sample
        same_shape(sample[0], real[0])


@pytest.mark.parametrize(("sample", "real"), [
    (sample_events.sqs(), "sqs"), (sample_events.schedule(), "schedule"), (sample_events.s3(), "s3_put"),
    (sample_events.s3(event_name="ObjectRemoved:Delete"), "s3_delete"),
    (sample_events.dynamodb_stream({"id": "1"}), "dynamodb_stream"),
])
def test_samples_have_every_field_aws_sends(sample, real):
    same_shape(sample, load_event(real))


def test_sqs_sample_body_and_md5():
    event = sample_events.sqs({"a": 1}, "text")
    bodies = [r["body"] for r in event["Records"]]
    assert bodies == ['{"a": 1}', "text"]
    assert event["Records"][1]["md5OfBody"] == hashlib.md5(b"text").hexdigest()
    seen = []
    as_handler_of("sample_q", sqs_event.message, lambda body: seen.append(body))
    assert sqs_event.dispatch("sample_q", event) == {"batchItemFailures": []}
    assert seen == [{"a": 1}, "text"]


def test_s3_sample_key_round_trips_through_url_encoding():
    key = "in/my photo+1 (2)%.jpg"
    event = sample_events.s3(key, bucket="b")
    assert " " not in event["Records"][0]["s3"]["object"]["key"]
    seen = []
    as_handler_of("sample_s3", s3_event.object, lambda bucket, key: seen.append((bucket, key)))
    s3_event.dispatch("sample_s3", event)
    assert seen == [("b", key)]


def test_stream_sample_images_round_trip():
    new = {"id": "7", "n": 3, "price": decimal.Decimal("9.99"), "ok": False, "none": None, "raw": b"\x00\xff",
           "tags": {"a", "b"}, "nums": {1, 2}, "list": [1, "x", {"deep": [True]}], "map": {"k": "v"}}
    event = sample_events.dynamodb_stream(new, {"id": "7", "n": 2})
    record = event["Records"][0]
    assert record["eventName"] == "MODIFY" and stream.deserialize(record["dynamodb"]["Keys"]) == {"id": "7"}
    seen = []
    as_handler_of("sample_st", dynamodb_stream_event.record,
                  lambda event_name, new_image, old_image: seen.append((event_name, new_image, old_image)))
    dynamodb_stream_event.dispatch("sample_st", event)
    assert seen == [("MODIFY", new, {"id": "7", "n": 2})]
    assert sample_events.dynamodb_stream(old_image={"id": "7"})["Records"][0]["eventName"] == "REMOVE"


def test_for_function_builds_by_type_from_tight_yml_settings():
    s3 = sample_events.for_function("thumbs", {"type": "s3", "bucket": "uploads", "prefix": "in/",
                                               "events": ["s3:ObjectCreated:*"]}, None, "svc-dev-")
    assert s3["Records"][0]["s3"]["bucket"]["name"] == "svc-dev-uploads"
    assert s3["Records"][0]["s3"]["object"]["key"] == "in/example.txt"
    sqs = sample_events.for_function("jobs", {"type": "sqs"}, "hello", "svc-dev-")
    assert sqs["Records"][0]["body"] == "hello"
    assert sqs["Records"][0]["eventSourceARN"].endswith(":svc-dev-jobs")
    st = sample_events.for_function("audit", {"type": "dynamodb_stream", "table": "account"}, '{"id": "9"}')
    assert st["Records"][0]["dynamodb"]["NewImage"] == {"id": {"S": "9"}}
    assert sample_events.for_function("api", {"type": "lambda_proxy"}) is None
    with pytest.raises(ValueError, match="must be JSON"):
        sample_events.for_function("audit", {"type": "dynamodb_stream"}, "not json")
    with pytest.raises(ValueError, match="JSON object"):
        sample_events.for_function("audit", {"type": "dynamodb_stream"}, "[1]")
