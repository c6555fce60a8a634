"""Valid JSON nested deeper than Python decodes (a hostile client or producer): never a crash."""
from __future__ import annotations

import json
import logging

import pytest
from aws_events import load, set_header

import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy
from tight.providers.aws.controllers import registry, sqs_event

DEEP = "[" * 100_000 + "]" * 100_000  # 200 KB: fits an API Gateway request and an SQS message (256 KB)


@pytest.fixture
def echo():
    seen = []

    def post_handler(body, **kwargs):
        seen.append(body)
        return {"statusCode": 200, "body": {"type": type(body).__name__}}

    post_handler.__module__ = "app.functions.deep_echo.handler"
    lambda_proxy.post(post_handler)
    return seen


@pytest.mark.parametrize("source", ["rest_v1", "http_api_v2"])
def test_deep_json_with_a_json_content_type_is_a_400(echo, source, caplog):
    event = set_header(load(source, "POST", body=DEEP, isBase64Encoded=False), "Content-Type", "application/json")
    with caplog.at_level(logging.ERROR):
        response = lambda_proxy.dispatch("deep_echo", event)
    assert response["statusCode"] == 400, response  # was a 500 and a RecursionError traceback in the log
    assert json.loads(response["body"]) == {"message": "Request body is JSON nested too deeply"}
    assert echo == [] and not [r for r in caplog.records if r.exc_info]


def test_deep_json_without_a_content_type_is_handed_over_as_text(echo):
    event = load("rest_v1", "POST", body=DEEP, isBase64Encoded=False)
    for name in [k for k in event["headers"] if k.lower() == "content-type"]:
        del event["headers"][name]
    for name in [k for k in event.get("multiValueHeaders") or {} if k.lower() == "content-type"]:
        del event["multiValueHeaders"][name]
    response = lambda_proxy.dispatch("deep_echo", event)
    assert response["statusCode"] == 200, response
    assert echo == [DEEP]


def test_an_sqs_message_of_deep_json_reaches_the_handler_as_text():
    seen = []

    def handle(body, **kwargs):
        seen.append(body)

    registry.forget("deep_q")
    handle.__module__ = "app.functions.deep_q.handler"
    sqs_event.message(handle)
    event = {"Records": [{
        "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d", "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
        "body": DEEP, "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183",
                                     "SenderId": "AIDAIENQZJOLO23YVJ4VO", "ApproximateFirstReceiveTimestamp": "1545082649185"},
        "messageAttributes": {}, "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue", "awsRegion": "us-east-2"}]}
    assert sqs_event.dispatch("deep_q", event) == {"batchItemFailures": []}  # was failed: redelivered to the DLQ
    assert seen == [DEEP]
