"""The event-source controllers on events shaped as AWS sends them (tests/events/*.json)."""
from __future__ import annotations

import decimal
import logging

import pytest
from events_helpers import as_handler_of, load_event

from tight.providers.aws.controllers import (
    dynamodb_stream_event,
    records,
    registry,
    s3_event,
    schedule_event,
    sqs_event,
)
from tight.providers.aws.events import stream

# -- SQS ------------------------------------------------------------------------------

def test_sqs_calls_the_handler_per_message_with_decoded_bodies():
    seen = []

    def handle(body, record, context):
        seen.append((body, record["messageId"], context))

    as_handler_of("orders_q", sqs_event.message, handle)
    assert registry.dispatcher("orders_q") is sqs_event.dispatch
    assert registry.source("orders_q") == "sqs"
    result = sqs_event.dispatch("orders_q", load_event("sqs"), "ctx")
    assert result == {"batchItemFailures": []}
    assert seen == [
        ({"order_id": 1042, "items": ["tea", "scone"]}, "059f36b4-87a3-44ab-83d2-661975830a7d", "ctx"),
        ("plain text: not JSON", "2e1424d4-f796-459a-8184-9c92662be6da", "ctx"),
        ({"order_id": 1043, "items": []}, "c80e8021-a70a-42c7-a470-796e1186f753", "ctx"),
    ]


def test_sqs_partial_batch_failure_names_only_the_failed_messages(caplog):
    processed = []

    def handle(body, **kwargs):
        if not isinstance(body, dict):
            raise TypeError("cannot parse order")
        processed.append(body["order_id"])

    as_handler_of("orders_f", sqs_event.message, handle)
    with caplog.at_level(logging.ERROR, logger="tight.events"):
        result = sqs_event.dispatch("orders_f", load_event("sqs"))
    assert result == {"batchItemFailures": [{"itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da"}]}
    assert processed == [1042, 1043]  # a standard queue goes on after a failure
    failure = [r for r in caplog.records if "2e1424d4-f796-459a-8184-9c92662be6da" in r.getMessage()]
    assert len(failure) == 1 and "orders_f" in failure[0].getMessage()
    assert failure[0].exc_info[0] is TypeError


def test_sqs_fifo_failure_returns_the_rest_of_the_group_unprocessed():
    processed = []

    def handle(body):
        if body["step"] == 2:
            raise RuntimeError("step 2 failed")
        processed.append(body["step"])

    as_handler_of("steps_q", sqs_event.message, handle)
    result = sqs_event.dispatch("steps_q", load_event("sqs_fifo"))
    assert processed == [1]
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == [
        "4b5c0a37-8e2f-4f5d-9c1a-3b7e6d2f1a0c", "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"]


def test_sqs_function_given_an_api_gateway_event_logs_one_line_and_raises(caplog):
    calls = []
    as_handler_of("orders_w", sqs_event.message, lambda body: calls.append(body))
    with caplog.at_level(logging.ERROR, logger="tight.events"), pytest.raises(records.WrongEventType) as raised:
        sqs_event.dispatch("orders_w", load_event("api_gateway_rest"))
    assert calls == []
    assert "'orders_w' handles SQS messages, but got an API Gateway REST (1.0) event" in str(raised.value)
    assert [r.getMessage() for r in caplog.records] == [str(raised.value)]
    assert all(r.exc_info is None for r in caplog.records)  # a line, not a trace


@pytest.mark.parametrize("event", [None, "text", {}, {"Records": []}, {"Records": "x"},
                                   {"Records": [{"eventSource": "aws:sqs"}, {"eventSource": "aws:s3"}]}])
def test_sqs_hostile_events_are_refused_without_calling_the_handler(event):
    calls = []
    as_handler_of("orders_h", sqs_event.message, lambda body: calls.append(body))
    with pytest.raises(records.WrongEventType, match="'orders_h' handles SQS messages, but got"):
        sqs_event.dispatch("orders_h", event)
    assert calls == []


def test_sqs_handler_taking_event_gets_the_whole_batch_and_kwargs_get_all_four():
    named, everything = [], []
    as_handler_of("orders_e", sqs_event.message, lambda event, record: named.append((event, record)))
    event = load_event("sqs")
    assert sqs_event.dispatch("orders_e", event, "ctx") == {"batchItemFailures": []}
    assert [record for _, record in named] == event["Records"]
    assert all(whole is event for whole, _ in named)

    as_handler_of("orders_k", sqs_event.message, lambda **kwargs: everything.append(kwargs))
    sqs_event.dispatch("orders_k", event, "ctx")
    assert everything[0] == {"body": {"order_id": 1042, "items": ["tea", "scone"]}, "record": event["Records"][0],
                             "context": "ctx", "event": event}
    assert len(everything) == 3


@pytest.mark.parametrize("event", ["sqs", "api_gateway_rest"])
def test_sqs_dispatch_for_a_function_without_a_handler_raises_before_reading_the_event(event, caplog):
    registry.forget("nobody_q")
    with caplog.at_level(logging.ERROR, logger="tight.events"), pytest.raises(records.NoHandler) as raised:
        sqs_event.dispatch("nobody_q", load_event(event))
    assert str(raised.value) == "function 'nobody_q' has no sqs handler registered; the invocation fails"
    assert [r.getMessage() for r in caplog.records] == [str(raised.value)]
    assert sqs_event.handler_of("nobody_q") is None


@pytest.mark.parametrize(("record", "body", "fifo", "identifier"), [
    ({"body": '{"a": [1, 2]}', "messageId": "m1"}, {"a": [1, 2]}, False, "m1"),
    ({"body": "42"}, 42, False, None),
    ({"body": '"quoted"'}, "quoted", False, None),
    ({"body": "not JSON {"}, "not JSON {", False, None),
    ({"body": "[" * 100_000 + "]" * 100_000}, "[" * 100_000 + "]" * 100_000, False, None),  # deeper than Python
    ({"body": ""}, "", False, None),
    ({}, None, False, None),
    ({"body": None, "attributes": {"MessageGroupId": "g1"}}, None, True, None),
    ({"body": "x", "attributes": {"SequenceNumber": "1"}}, "x", False, None),
    ({"body": "x", "attributes": "MessageGroupId"}, "x", False, None),  # not a mapping
])
def test_sqs_record_readers(record, body, fifo, identifier):
    from tight.providers.aws.events import sqs

    assert sqs.message_body(record) == body
    assert sqs.is_fifo(record) is fifo
    assert sqs.message_id(record) == identifier


@pytest.mark.parametrize(("event", "expected"), [
    ({"Records": [{"eventSource": "aws:sqs"}]}, True),
    ({"Records": [{"eventSource": "aws:sqs"}, {"eventSource": "aws:sqs"}]}, True),
    ({"Records": [{"eventSource": "aws:sqs"}, "junk"]}, False),
    ({"Records": [{"EventSource": "aws:sqs"}]}, True),
    ({"Records": [{"eventSource": "aws:sns"}]}, False),
    ({"Records": []}, False),
    ({"Records": ({"eventSource": "aws:sqs"},)}, False),
    ({}, False),
    (None, False),
])
def test_an_sqs_event_is_only_sqs_records(event, expected):
    from tight.providers.aws.events import sqs

    assert sqs.is_sqs_event(event) is expected


def test_sqs_messages_are_the_mapping_records():
    from tight.providers.aws.events import sqs

    assert sqs.messages({"Records": [{"messageId": "a"}, "junk", 3, {"messageId": "b"}]}) == [
        {"messageId": "a"}, {"messageId": "b"}]
    assert sqs.messages({"Records": "x"}) == sqs.messages(None) == sqs.messages([{"messageId": "a"}]) == []


# -- S3 -------------------------------------------------------------------------------

def test_s3_key_is_url_decoded_and_size_and_event_name_passed():
    seen = []

    def handle(bucket, key, size, event_name, version_id):
        seen.append((bucket, key, size, event_name, version_id))

    as_handler_of("uploads", s3_event.object, handle)
    assert s3_event.dispatch("uploads", load_event("s3_put")) == {"processed": 1}
    assert s3_event.dispatch("uploads", load_event("s3_delete")) == {"processed": 1}
    assert seen == [
        ("my-service-uploads", "incoming/holiday photos/café (2).jpg", 1048576, "ObjectCreated:Put",
         "096fKKXTRTtl3on89fVO.nfljtsv6qko"),
        ("my-service-uploads", "incoming/100% done.txt", None, "ObjectRemoved:Delete", None),
    ]


def test_s3_handler_failure_fails_the_invocation_after_trying_every_record(caplog):
    event = load_event("s3_put")
    second = load_event("s3_delete")["Records"][0]
    event["Records"].append(second)
    seen = []

    def handle(key):
        seen.append(key)
        if key.endswith(".jpg"):
            raise OSError("thumbnail failed")

    as_handler_of("uploads_f", s3_event.object, handle)
    with pytest.raises(s3_event.RecordsFailed, match=r"1 of 2 object\(s\): s3://my-service-uploads/incoming/holiday"):
        s3_event.dispatch("uploads_f", event)
    assert seen == ["incoming/holiday photos/café (2).jpg", "incoming/100% done.txt"]


def test_s3_function_given_an_sqs_event_is_refused():
    as_handler_of("uploads_w", s3_event.object, lambda key: None)
    with pytest.raises(records.WrongEventType, match="'uploads_w' handles S3 notifications, but got an SQS event"):
        s3_event.dispatch("uploads_w", load_event("sqs"))


# -- schedules ------------------------------------------------------------------------

def test_schedule_handler_gets_time_detail_and_rule():
    def tick(time, detail, rules, event):
        return {"ran_at": time, "detail": detail, "rules": rules, "id": event["id"]}

    as_handler_of("nightly", schedule_event.handler, tick)
    assert registry.source("nightly") == "schedule"
    assert schedule_event.dispatch("nightly", load_event("schedule")) == {
        "ran_at": "2026-11-26T14:05:00Z", "detail": {}, "rules": ["my-service-dev-nightly"],
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa"}


def test_schedule_function_given_an_s3_event_is_refused():
    as_handler_of("nightly_w", schedule_event.handler, lambda: "ran")
    with pytest.raises(records.WrongEventType, match="'nightly_w' handles EventBridge .*, but got an S3 notification"):
        schedule_event.dispatch("nightly_w", load_event("s3_put"))


def test_schedule_handler_error_propagates_for_lambda_to_retry():
    def tick():
        raise KeyError("boom")

    as_handler_of("nightly_e", schedule_event.handler, tick)
    with pytest.raises(KeyError):
        schedule_event.dispatch("nightly_e", load_event("schedule"))


# -- DynamoDB streams -----------------------------------------------------------------

def test_stream_images_are_plain_python_values():
    seen = []

    def handle(event_name, keys, new_image, old_image):
        seen.append((event_name, keys, new_image, old_image))

    as_handler_of("accounts_s", dynamodb_stream_event.record, handle)
    assert dynamodb_stream_event.dispatch("accounts_s", load_event("dynamodb_stream")) == {"batchItemFailures": []}
    (insert, modify, remove) = seen
    assert insert[0] == "INSERT" and insert[1] == {"id": "acct-1"} and insert[3] is None
    assert insert[2] == {
        "id": "acct-1", "balance": decimal.Decimal("12.50"), "visits": 3, "active": True, "nickname": None,
        "avatar": b"\x89PNG\r\n\x1a\n", "tags": {"gold", "early"}, "scores": {1, decimal.Decimal("2.5")},
        "history": ["opened", 7, {"by": "web"}], "address": {"city": "Lisbon", "zip": "1100-148"},
    }
    assert type(insert[2]["visits"]) is int
    assert modify[0] == "MODIFY" and modify[2]["balance"] == 20 and modify[3]["balance"] == decimal.Decimal("12.5")
    assert remove[0] == "REMOVE" and remove[2] is None and remove[3] == {"id": "acct-1", "balance": 20, "visits": 4}


def test_stream_failure_stops_the_batch_and_reports_it_and_the_rest():
    seen = []

    def handle(event_name):
        seen.append(event_name)
        if event_name == "MODIFY":
            raise RuntimeError("downstream unavailable")

    as_handler_of("accounts_f", dynamodb_stream_event.record, handle)
    result = dynamodb_stream_event.dispatch("accounts_f", load_event("dynamodb_stream"))
    assert seen == ["INSERT", "MODIFY"]
    assert result == {"batchItemFailures": [{"itemIdentifier": "222000000000000000000002"},
                                            {"itemIdentifier": "333000000000000000000003"}]}


def test_stream_record_in_bad_dynamodb_json_is_a_failed_record_and_one_line(caplog):
    event = load_event("dynamodb_stream")
    event["Records"][0]["dynamodb"]["NewImage"]["visits"] = {"N": "three"}
    calls = []
    as_handler_of("accounts_b", dynamodb_stream_event.record, lambda new_image: calls.append(new_image))
    with caplog.at_level(logging.ERROR, logger="tight.events"):
        result = dynamodb_stream_event.dispatch("accounts_b", event)
    assert result["batchItemFailures"][0] == {"itemIdentifier": "111000000000000000000001"}
    assert calls == []  # the handler never sees a record tight could not read
    first = caplog.records[0]
    assert first.getMessage() == ("function 'accounts_b' cannot read record 111000000000000000000001: "
                                  "not a number: 'three'")
    assert first.exc_info is None  # a line, not tight's own traceback
    assert (first.name, first.controller, first.record) == ("tight.events", "accounts_b", "111000000000000000000001")


def test_stream_function_given_a_schedule_event_is_refused():
    as_handler_of("accounts_w", dynamodb_stream_event.record, lambda keys: None)
    with pytest.raises(records.WrongEventType, match="'accounts_w' handles DynamoDB stream records, but got an "
                                                     "EventBridge event"):
        dynamodb_stream_event.dispatch("accounts_w", load_event("schedule"))


@pytest.mark.parametrize("value", [{"S": "a", "N": "1"}, {"X": "1"}, {"B": "not base64!"}, "plain"])
def test_deserialize_refuses_values_that_are_not_dynamodb_json(value):
    with pytest.raises(stream.StreamFormatError):
        stream.deserialize({"a": value})


def test_one_controller_one_source():
    as_handler_of("mixed", sqs_event.message, lambda body: None)

    def tick():
        pass

    tick.__module__ = "app.functions.mixed.handler"
    with pytest.raises(registry.SourceConflict):
        schedule_event.handler(tick)


def test_two_handlers_in_one_function_are_refused_a_reloaded_one_is_not():
    def first(body):
        return 1

    def second(body):
        return 2

    as_handler_of("twice", sqs_event.message, first)
    second.__module__ = first.__module__
    with pytest.raises(registry.SourceConflict, match="two sqs handlers"):
        sqs_event.message(second)
    assert sqs_event.handler_of("twice") is first

    def first_again(body):  # the same function, its module imported again
        return 3

    first_again.__qualname__ = first.__qualname__
    first_again.__module__ = first.__module__
    sqs_event.message(first_again)
    assert sqs_event.handler_of("twice") is first_again
