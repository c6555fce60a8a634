"""Send messages to the app's queues (the queue of each ``sqs`` function)::

    from tight.providers.aws.clients import queues

    queues.send("orders", {"id": 42})                     # dicts and lists are sent as JSON
    queues.send("orders", "plain text", priority=1, kind="gift")   # message attributes
    queues.send("ledger", {"id": 42}, group_id="account-7")        # a FIFO queue (fifo: true)
    queues.url("orders")                                  # the queue's URL, for boto3

The sending function lists the queue in tight.yml (``functions.NAME.uses:
[orders]``): ``tight deploy`` then gives it the URL and ``sqs:SendMessage`` on
that queue, and ``tight local.serve`` the URL of the local queue. An unknown
name, or the name of a function that is not an sqs one, raises
:class:`~tight.providers.aws.clients.resources.UnknownResource` naming the
app's queues. Standard library and boto3 only; boto3 is imported on first send.
"""
from __future__ import annotations

from tight.providers.aws.clients.resources import QUEUES, UnknownResource, lookup

TYPE_CHECKING = False  # typing is not imported at cold start
if TYPE_CHECKING:
    from typing import Any

__all__ = ["UnknownResource", "attribute", "encode", "send", "url"]

_clients: dict[tuple, Any] = {}


def url(function_name: str) -> str:
    """The URL of ``function_name``'s queue (that function must be an sqs function of the app)."""
    return lookup(QUEUES, function_name)


def encode(body: Any) -> str:
    """A message body: text as it is; anything else as JSON (Decimal as a number, as DynamoDB gives them)."""
    if isinstance(body, str):
        return body
    import json

    def number(value: Any) -> Any:
        import decimal

        if isinstance(value, decimal.Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        raise TypeError(f"a message body cannot hold {type(value).__name__} ({value!r}): send text or JSON")

    return json.dumps(body, default=number)


def attribute(name: str, value: Any) -> dict[str, Any]:
    """An SQS message attribute: str -> String, int/float/Decimal -> Number, bytes -> Binary."""
    import decimal

    if isinstance(value, bool) or value is None:
        raise TypeError(f"message attribute {name}={value!r}: SQS attributes are text, numbers or bytes")
    if isinstance(value, str):
        return {"DataType": "String", "StringValue": value}
    if isinstance(value, (int, float, decimal.Decimal)):
        return {"DataType": "Number", "StringValue": str(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"DataType": "Binary", "BinaryValue": bytes(value)}
    raise TypeError(f"message attribute {name}={value!r}: SQS attributes are text, numbers or bytes, "
                    f"not {type(value).__name__}")


def send(function_name: str, body: Any, *, group_id: str | None = None, deduplication_id: str | None = None,
         **message_attributes: Any) -> str:
    """Send ``body`` to ``function_name``'s queue; returns the message id.

    On a FIFO queue the messages of one ``group_id`` (default ``"default"``: the
    whole queue in one order) are delivered in the order sent; duplicates are
    dropped by content unless ``deduplication_id`` is given.
    """
    queue = url(function_name)
    request: dict[str, Any] = {"QueueUrl": queue, "MessageBody": encode(body)}
    if message_attributes:
        request["MessageAttributes"] = {k: attribute(k, v) for k, v in message_attributes.items()}
    if queue.endswith(".fifo"):
        request["MessageGroupId"] = group_id or "default"
        if deduplication_id:
            request["MessageDeduplicationId"] = deduplication_id
    elif group_id or deduplication_id:
        raise ValueError(f"the queue of {function_name!r} is not a FIFO queue: group_id and deduplication_id "
                         f"apply to FIFO queues only (functions.{function_name}.fifo: true)")
    return client().send_message(**request)["MessageId"]


def client():
    """A boto3 SQS client for the environment's endpoint and region (cached per endpoint and region)."""
    from tight.providers.aws.clients.dynamo_db import (
        region_name,
        service_endpoint,
        session_for,
    )

    endpoint, region = service_endpoint("sqs"), region_name()
    found = _clients.get((endpoint, region))
    if found is None:
        found = _clients[(endpoint, region)] = session_for(endpoint).client("sqs", endpoint_url=endpoint)
    return found
