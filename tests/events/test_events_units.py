"""Event-source readers and controllers called directly: what the other event tests leave unchecked."""
from __future__ import annotations

import logging

import pytest
from events_helpers import as_handler_of, load_event

from tight.providers.aws.controllers import (
    dynamodb_stream_event,
    registry,
    s3_event,
    schedule_event,
    sqs_event,
)
from tight.providers.aws.events import stream
from tight.providers.aws.lambda_app import secrets


@pytest.mark.parametrize("module, decorator", [
    (sqs_event, sqs_event.message), (s3_event, s3_event.object), (schedule_event, schedule_event.handler),
    (dynamodb_stream_event, dynamodb_stream_event.record)])
def test_handler_of_gives_the_registered_function(module, decorator):
    def handle(**kwargs):
        return None

    controller = f"units_{module.SOURCE.replace('-', '_')}"
    try:
        as_handler_of(controller, decorator, handle)
        assert module.handler_of(controller) is handle
        assert module.handler_of("units_nobody") is None
    finally:
        registry.forget(controller)
        module._HANDLERS.pop(controller, None)


def test_binary_stream_values_must_be_base64():
    assert stream.deserialize_value({"B": "AAE="}) == b"\x00\x01"
    with pytest.raises(stream.StreamFormatError) as caught:
        stream.deserialize_value({"B": "AAE=*"})
    assert str(caught.value) == "binary value is not base64"


def test_change_of_a_record_without_a_dynamodb_section():
    record = load_event("dynamodb_stream")["Records"][0]
    assert stream.change(record) is record["dynamodb"]
    assert stream.change({"eventName": "REMOVE", "dynamodb": None}) == {}
    assert stream.change({}) == {}


def test_a_schedule_failing_on_an_unresolved_secret_is_one_line(caplog):
    saved = dict(secrets.FAILED)
    secrets.FAILED["NIGHTLY_TOKEN"] = "NIGHTLY_TOKEN=ssm:/gone cannot be resolved: ParameterNotFound"

    def tick(time):
        raise KeyError("NIGHTLY_TOKEN")

    try:
        as_handler_of("units_nightly", schedule_event.handler, tick)
        with caplog.at_level(logging.ERROR, logger="tight.events"), pytest.raises(KeyError):
            schedule_event.dispatch("units_nightly", load_event("schedule"))
        assert [(r.getMessage(), r.exc_info) for r in caplog.records] == [
            (("function 'units_nightly' failed on the event of 2026-11-26T14:05:00Z: it needs "
             "NIGHTLY_TOKEN=ssm:/gone cannot be resolved: ParameterNotFound"), None)]
    finally:
        secrets.FAILED.clear()
        secrets.FAILED.update(saved)
        registry.forget("units_nightly")
        schedule_event._HANDLERS.pop("units_nightly", None)
