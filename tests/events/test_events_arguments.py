"""What each event-source controller hands its handler, says when it has none, and logs; the readers
behind them on odd shapes; describe() for every kind of event (exact values: each one is a contract)."""
from __future__ import annotations

import logging

import pytest
from events_helpers import as_handler_of, load_event

from tight.providers.aws.controllers import (
    dynamodb_stream_event,
    records,
    registry,
    s3_event,
    schedule_event,
)
from tight.providers.aws.events import kinds, s3, schedule

SOURCES = {"s3": (s3_event, "s3", "s3_put"), "schedule": (schedule_event, "schedule", "schedule"),
           "stream": (dynamodb_stream_event, "dynamodb_stream", "dynamodb_stream")}


def everything(module, event_name: str) -> tuple[dict, dict]:
    """(the event, the keyword arguments a ``**kwargs`` handler got for its first record)."""
    seen = []
    decorator = {"s3": s3_event.object, "schedule": schedule_event.handler,
                 "stream": dynamodb_stream_event.record}[module]
    as_handler_of(f"all_{module}", decorator, lambda **kwargs: seen.append(kwargs))
    event = load_event(event_name)
    SOURCES[module][0].dispatch(f"all_{module}", event, "ctx")
    return event, seen[0]


def test_an_s3_handler_gets_every_documented_argument():
    event, got = everything("s3", "s3_put")
    assert got == {"bucket": "my-service-uploads", "key": "incoming/holiday photos/café (2).jpg", "size": 1048576,
                   "event_name": "ObjectCreated:Put", "version_id": "096fKKXTRTtl3on89fVO.nfljtsv6qko",
                   "record": event["Records"][0], "context": "ctx", "event": event}


def test_a_schedule_handler_gets_every_documented_argument():
    event, got = everything("schedule", "schedule")
    assert got == {"time": event["time"], "detail": {}, "rules": [r.split(":rule/")[1] for r in event["resources"]],
                   "event": event, "context": "ctx"}


def test_a_stream_handler_gets_every_documented_argument():
    event, got = everything("stream", "dynamodb_stream")
    first = event["Records"][0]
    assert set(got) == {"event_name", "keys", "new_image", "old_image", "record", "context", "event"}
    assert (got["record"], got["context"], got["event"], got["event_name"]) == (first, "ctx", event, "INSERT")


@pytest.mark.parametrize("module", sorted(SOURCES))
def test_no_handler_raises_naming_the_function_and_its_source(module, caplog):
    controller, source, event = SOURCES[module]
    registry.forget("nobody")
    with caplog.at_level(logging.ERROR, logger="tight.events"), pytest.raises(records.NoHandler) as raised:
        controller.dispatch("nobody", load_event(event))
    assert str(raised.value) == f"function 'nobody' has no {source} handler registered; the invocation fails"
    (line,) = caplog.records
    assert (line.name, line.getMessage(), line.controller) == ("tight.events", str(raised.value), "nobody")


def test_a_wrong_event_is_logged_once_on_tight_events_with_the_controller(caplog):
    as_handler_of("uploads_x", s3_event.object, lambda key: None)
    with caplog.at_level(logging.ERROR, logger="tight.events"), pytest.raises(records.WrongEventType):
        s3_event.dispatch("uploads_x", load_event("schedule"))
    (line,) = caplog.records
    assert (line.name, line.controller) == ("tight.events", "uploads_x")
    assert line.getMessage() == (
        "function 'uploads_x' handles S3 notifications, but got an EventBridge event: check what triggers it "
        "(tight.yml functions.uploads_x.type); the invocation fails so the event is retried")


def test_a_failed_record_is_logged_with_its_controller_and_record(caplog):
    def handle(key):
        raise OSError("disk full")

    as_handler_of("uploads_f", s3_event.object, handle)
    event = load_event("s3_put")
    event["Records"].append(load_event("s3_delete")["Records"][0])
    with caplog.at_level(logging.ERROR, logger="tight.events"), pytest.raises(s3_event.RecordsFailed) as raised:
        s3_event.dispatch("uploads_f", event)
    assert str(raised.value) == (
        "function 'uploads_f' failed on 2 of 2 object(s): s3://my-service-uploads/incoming/holiday photos/café (2).jpg, "
        "s3://my-service-uploads/incoming/100% done.txt")
    assert [(r.name, r.controller, r.record) for r in caplog.records] == [
        ("tight.events", "uploads_f", "s3://my-service-uploads/incoming/holiday photos/café (2).jpg"),
        ("tight.events", "uploads_f", "s3://my-service-uploads/incoming/100% done.txt")]
    assert caplog.records[0].getMessage() == (
        "function 'uploads_f' failed on record s3://my-service-uploads/incoming/holiday photos/café (2).jpg")


def test_a_failed_schedule_run_is_logged_with_its_time_and_raised(caplog):
    def handle():
        raise RuntimeError("nightly job failed")

    as_handler_of("nightly_f", schedule_event.handler, handle)
    event = load_event("schedule")
    with caplog.at_level(logging.ERROR, logger="tight.events"), pytest.raises(RuntimeError, match="nightly job"):
        schedule_event.dispatch("nightly_f", event)
    (line,) = caplog.records
    assert (line.name, line.controller) == ("tight.events", "nightly_f")
    assert line.getMessage() == f"function 'nightly_f' failed on the event of {event['time']}"
    assert line.exc_info[0] is RuntimeError


def test_a_stream_failure_leaves_the_later_records_for_retry_in_one_line(caplog):
    as_handler_of("audit_f", dynamodb_stream_event.record, lambda keys: 1 / 0)
    event = load_event("dynamodb_stream")
    with caplog.at_level(logging.ERROR, logger="tight.events"):
        result = dynamodb_stream_event.dispatch("audit_f", event)
    numbers = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
    assert result == {"batchItemFailures": [{"itemIdentifier": n} for n in numbers]}
    assert [r.getMessage() for r in caplog.records] == [
        f"function 'audit_f' failed on record {numbers[0]}",
        f"function 'audit_f': {len(numbers) - 1} later record(s) left for retry, in order"]
    assert [(r.controller, r.record) for r in caplog.records] == [("audit_f", numbers[0])] * 2


# -- readers ---------------------------------------------------------------------------

@pytest.mark.parametrize(("event", "expected"), [
    ({"source": "aws.events", "detail-type": "Scheduled Event", "time": "t"}, True),
    ({"source": "x", "detail-type": "y", "time": "t", "Records": []}, False),
    ({"source": "x", "detail-type": "y"}, False),
    (["source", "detail-type", "time"], False),
])
def test_eventbridge_events(event, expected):
    assert schedule.is_eventbridge_event(event) is expected


@pytest.mark.parametrize(("event", "detail", "rules"), [
    ({}, {}, []),
    ({"detail": None, "resources": None}, {}, []),
    ({"detail": {"a": 1}, "resources": ["arn:aws:events:eu-west-1:1:rule/nightly", 7, "arn:aws:sqs:x"]},
     {"a": 1}, ["nightly"]),
    ({"detail": [], "resources": ["arn:aws:events:eu-west-1:1:rule/a:rule/b"]}, [], ["a:rule/b"]),
])
def test_schedule_detail_and_rule_names(event, detail, rules):
    assert schedule.detail(event) == detail
    assert schedule.rule_names(event) == rules


@pytest.mark.parametrize(("record", "bucket", "key", "size"), [
    ({"s3": {"bucket": {"name": "b"}, "object": {"key": "a+b%2Fc", "size": "12"}}}, "b", "a b/c", 12),
    ({"s3": {"bucket": "b", "object": {"key": 5, "size": "big"}}}, None, 5, None),
    ({"s3": {"object": {"key": None, "size": None}}}, None, None, None),
    ({"s3": None}, None, None, None),
    ({}, None, None, None),
])
def test_s3_readers_on_odd_shapes(record, bucket, key, size):
    assert (s3.bucket_name(record), s3.object_key(record), s3.object_size(record)) == (bucket, key, size)


@pytest.mark.parametrize(("module", "controller"), [
    ("handler", "handler"), ("orders", "orders"), ("orders.handler", "orders"),
    ("app.functions.orders.handler", "orders"), ("app.functions.a.orders.handler", "orders"),
    ("app.functions.orders.helpers", "helpers"),
])
def test_controller_names(module, controller):
    assert registry.controller_name(module) == controller


@pytest.mark.parametrize(("event", "description"), [
    (None, "a NoneType, not an event object"),
    ("text", "a str, not an event object"),
    ({}, "an empty event"),
    ({"Records": [{"eventSource": "aws:sqs"}]}, "an SQS event"),
    ({"Records": [{"eventSource": "aws:s3"}]}, "an S3 notification"),
    ({"Records": [{"eventSource": "aws:dynamodb"}]}, "a DynamoDB stream event"),
    ({"Records": [{"eventSource": "aws:kinesis"}]}, "a Kinesis event"),
    ({"Records": [{"EventSource": "aws:sns"}]}, "an SNS event"),
    ({"Records": [{"eventSource": "aws:mq"}]}, "an event with unknown Records"),
    ({"Records": [{}]}, "an event with unknown Records"),
    ({"requestContext": {"elb": {}}, "httpMethod": "GET"}, "an ALB request"),
    ({"requestContext": "elb", "httpMethod": "GET"}, "an API Gateway REST (1.0) event"),
    ({"httpMethod": "GET"}, "an API Gateway REST (1.0) event"),
    ({"requestContext": {"http": {}}}, "an HTTP API or Function URL (2.0) event"),
    ({"detail-type": "Scheduled Event", "source": "aws.events"}, "an EventBridge event"),
    ({"detail-type": "Scheduled Event"}, "an unrecognised event (keys: detail-type)"),
    ({"source": "aws.events"}, "an unrecognised event (keys: source)"),
    ({"f": 1, "e": 2, "d": 3, "c": 4, "b": 5, "a": 6, 7: 7}, "an unrecognised event (keys: 7, a, b, c, d)"),
])
def test_describe_names_every_kind_of_event(event, description):
    assert kinds.describe(event) == description


# -- handlers' arguments and stream values ------------------------------------------------------

def _wrapped(function):
    import functools

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return function(*args, **kwargs)
    return wrapper


class _Callable:
    def __call__(self, body, record=None):
        return body


def _kwargs_only(*, body, **extra):
    return body


@pytest.mark.parametrize(("function", "names"), [
    (lambda body, record: None, {"body", "record"}),
    (lambda body, /, record, *, context: None, {"record", "context"}),  # positional-only is never passed
    (lambda *args: None, set()),
    (lambda **kwargs: None, None),
    (_kwargs_only, None),
    (_wrapped(lambda body, event: None), {"body", "event"}),  # the signature of what it wraps
    (_wrapped(lambda **kwargs: None), None),
    (_Callable(), {"body", "record"}),
    (max, None),  # no signature to read: everything
])
def test_handlers_get_the_keyword_arguments_they_name(function, names):
    from tight.providers.aws.controllers.arguments import accepted

    assert accepted(function) == (None if names is None else frozenset(names))


@pytest.mark.parametrize(("value", "expected"), [
    ({"BS": ["AQI=", "AwQ="]}, {b"\x01\x02", b"\x03\x04"}),
    ({"B": b"\x00\xff"}, b"\x00\xff"),
    ({"B": bytearray(b"\x01")}, b"\x01"),
])
def test_stream_binary_values(value, expected):
    from tight.providers.aws.events import stream

    assert stream.deserialize_value(value) == expected


@pytest.mark.parametrize(("value", "message"), [
    ({"B": "not base64!"}, "binary value is not base64"),
    ({"B": "AQI"}, "binary value is not base64"),  # padding missing: validate, do not guess
    ({"S": "a", "N": "1"}, "not a DynamoDB attribute value: {'S': 'a', 'N': '1'}"),
    ({"X": 1}, "unknown DynamoDB type 'X'"),
])
def test_stream_values_that_are_not_dynamodb_json(value, message):
    from tight.providers.aws.events import stream

    with pytest.raises(stream.StreamFormatError) as raised:
        stream.deserialize_value(value)
    assert str(raised.value) == message
    with pytest.raises(stream.StreamFormatError, match=r"^not a DynamoDB image: \['a'\]$"):
        stream.deserialize(["a"])


def test_a_record_failing_on_an_unresolved_secret_is_one_line_with_its_fields(caplog, monkeypatch):
    from tight.providers.aws.lambda_app import secrets

    monkeypatch.setitem(secrets.FAILED, "DB_PASSWORD", "ssm:/shop/db (AccessDenied)")

    def handle(body):
        raise KeyError("DB_PASSWORD")

    from tight.providers.aws.controllers import sqs_event

    as_handler_of("orders_s", sqs_event.message, handle)
    event = load_event("sqs")
    event["Records"] = event["Records"][:1]
    with caplog.at_level(logging.ERROR, logger="tight.events"):
        sqs_event.dispatch("orders_s", event)
    (line,) = caplog.records
    item = event["Records"][0]["messageId"]
    assert line.getMessage() == f"function 'orders_s' failed on record {item}: it needs ssm:/shop/db (AccessDenied)"
    assert (line.name, line.controller, line.record, line.exc_info) == ("tight.events", "orders_s", item, None)


def test_two_handler_objects_in_one_function_are_named_by_their_repr():
    from tight.providers.aws.controllers import sqs_event

    class Handler:
        def __call__(self, body):
            return body

    Handler.__module__ = "app.functions.objs.handler"
    first, second = Handler(), Handler()
    registry.forget("objs")
    sqs_event.message(first)
    with pytest.raises(registry.SourceConflict) as raised:
        sqs_event.message(second)
    assert str(raised.value) == (f"app/functions/objs has two sqs handlers ({first!r} and {second!r}): a function "
                                 "has one; call one from the other")
