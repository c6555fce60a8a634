"""queues.send / queues.url / buckets.name against real SQS and S3 (moto's server), and their errors."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest
from conftest import AWS_REGION, REPO, clean_env

from tight.providers.aws.clients import buckets, queues
from tight.providers.aws.clients.resources import UnknownResource


@pytest.fixture
def app_queues(aws, moto_endpoint, monkeypatch):
    """An app with queue 'orders', FIFO queue 'ledger', bucket 'uploads'; the caller uses orders, ledger, uploads."""
    sqs = aws("sqs")
    tag = uuid.uuid4().hex[:8]
    orders = sqs.create_queue(QueueName=f"shop-dev-orders-{tag}")["QueueUrl"]
    ledger = sqs.create_queue(QueueName=f"shop-dev-ledger-{tag}.fifo",
                              Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    monkeypatch.setenv("TIGHT_QUEUES", json.dumps({"orders": orders, "ledger": ledger, "mail": None}))
    monkeypatch.setenv("TIGHT_BUCKETS", json.dumps({"uploads": f"shop-dev-uploads-{tag}", "avatars": None}))
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", moto_endpoint)
    for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                       ("AWS_REGION", AWS_REGION)):
        monkeypatch.setenv(key, value)
    return sqs, orders, ledger


def received(sqs, url: str, count: int) -> list[dict]:
    found: list[dict] = []
    while len(found) < count:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                     MessageAttributeNames=["All"], AttributeNames=["All"])
        assert answer.get("Messages"), f"only {len(found)} of {count} messages arrived"
        found += answer["Messages"]
    return found


def test_send_encodes_json_and_typed_attributes(app_queues):
    import decimal

    sqs, orders, _ = app_queues
    assert queues.url("orders") == orders
    message_id = queues.send("orders", {"id": decimal.Decimal(42), "café": ["a", 1.5]}, kind="gift",
                             count=3, raw=b"\x00\xff")
    second = queues.send("orders", "plain text, not JSON")
    first, plain = received(sqs, orders, 2)
    assert first["MessageId"] == message_id and plain["MessageId"] == second
    assert json.loads(first["Body"]) == {"id": 42, "café": ["a", 1.5]}
    assert first["MessageAttributes"] == {
        "kind": {"DataType": "String", "StringValue": "gift"},
        "count": {"DataType": "Number", "StringValue": "3"},
        "raw": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}}
    assert plain["Body"] == "plain text, not JSON"


def test_fifo_queue_gets_a_group_and_keeps_order(app_queues):
    sqs, _, ledger = app_queues
    for n in range(4):
        queues.send("ledger", {"n": n}, group_id="account-7")
    queues.send("ledger", {"n": 99})
    messages = received(sqs, ledger, 5)
    assert [json.loads(m["Body"])["n"] for m in messages] == [0, 1, 2, 3, 99]
    assert [m["Attributes"]["MessageGroupId"] for m in messages] == ["account-7"] * 4 + ["default"]


def test_group_id_on_a_standard_queue_is_refused(app_queues):
    with pytest.raises(ValueError, match=r"not a FIFO queue: .*functions\.orders\.fifo: true"):
        queues.send("orders", "x", group_id="g")


@pytest.mark.parametrize("value", [None, True, object()])
def test_attributes_sqs_cannot_carry_are_refused(app_queues, value):
    with pytest.raises(TypeError, match="SQS attributes are text, numbers or bytes"):
        queues.send("orders", "x", flag=value)


def test_a_body_that_is_not_json_is_refused(app_queues):
    with pytest.raises(TypeError, match="a message body cannot hold set"):
        queues.send("orders", {"ids": {1, 2}})


def test_unknown_and_wrong_names_list_the_apps_queues_and_buckets(app_queues):
    with pytest.raises(UnknownResource, match=r"^no queue 'nope': the app's queues are those of its sqs "
                                              r"functions: ledger, mail, orders$"):
        queues.send("nope", {})
    with pytest.raises(UnknownResource, match=r"^'uploads' is an s3 function, not an sqs one \(use buckets\.name\); "
                                              r"the app's queues are .*: ledger, mail, orders$"):
        queues.url("uploads")
    with pytest.raises(UnknownResource, match=r"^'orders' is an sqs function, not an s3 one \(use queues\.url\); "
                                              r"the app's buckets are .*: avatars, uploads$"):
        buckets.name("orders")
    with pytest.raises(UnknownResource, match=r"may not use the queue of 'mail': add it to its uses in tight\.yml "
                                              r"\(functions\.<this function>\.uses: \[mail\]\)"):
        queues.send("mail", "x")
    with pytest.raises(TypeError, match="takes the sqs function's name"):
        queues.url(None)


def test_bucket_name_is_the_stage_bucket(app_queues):
    assert buckets.name("uploads").startswith("shop-dev-uploads-")


def test_outside_tight_the_error_says_who_sets_the_names(monkeypatch):
    monkeypatch.delenv("TIGHT_QUEUES", raising=False)
    monkeypatch.delenv("TIGHT_BUCKETS", raising=False)
    with pytest.raises(UnknownResource, match="TIGHT_QUEUES is not set .*tight local.serve and tight deploy"):
        queues.url("orders")
    monkeypatch.setenv("TIGHT_BUCKETS", "[1, 2]")
    with pytest.raises(UnknownResource, match="TIGHT_BUCKETS is not a JSON object"):
        buckets.name("uploads")
    monkeypatch.setenv("TIGHT_BUCKETS", '{"broken": ')
    with pytest.raises(UnknownResource, match=r"TIGHT_BUCKETS is not a JSON object \('\{\"broken\": '\)"):
        buckets.name("uploads")


def test_importing_the_producers_imports_nothing_heavy():
    code = ("import sys\nfrom tight.providers.aws.clients import buckets, queues\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'boto3', 'botocore', 'json', 'decimal'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean_env(),
                            cwd=REPO, timeout=60, check=True)
    assert result.stdout.strip() == "[]"
