"""Realistic sample events for the non-HTTP function types, shaped as AWS sends them.

Used by ``tight local.invoke`` (when no ``--event`` is given) and by the tests that
``tight generate.function --type ...`` writes::

    from tight.dev import sample_events

    event = sample_events.sqs({"order_id": 1})        # one SQS message
    event = sample_events.s3("uploads/my photo.jpg")  # key URL-encoded as S3 does
    event = sample_events.dynamodb_stream(new_image={"id": "1", "n": 3})
    event = sample_events.schedule()
    event = sample_events.authorizer("Bearer t0ken")   # what API Gateway asks an authorizer

Standard library only. IDs are random, timestamps are now; everything else is fixed.
"""
from __future__ import annotations

import base64
import datetime
import decimal
import hashlib
import json
import os
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus

REGION = "us-east-1"
ACCOUNT = "123456789012"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)  # datetime.UTC is 3.11+


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or REGION


def _text(body: Any) -> str:
    return body if isinstance(body, str) else json.dumps(body)


# -- SQS -----------------------------------------------------------------------------

def sqs_record(body: Any = None, *, queue: str = "my-queue") -> dict[str, Any]:
    """One SQS message record; ``body`` is sent as is when text, else as JSON."""
    text = _text({"hello": "world"} if body is None else body)
    millis = str(int(_now().timestamp() * 1000))
    region = _region()
    return {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": "AQEB" + base64.b64encode(os.urandom(48)).decode("ascii"),
        "body": text,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": millis,
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": millis,
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{region}:{ACCOUNT}:{queue}",
        "awsRegion": region,
    }


def sqs(*bodies: Any, queue: str = "my-queue") -> dict[str, Any]:
    """An SQS event with one message per body (one ``{"hello": "world"}`` message by default)."""
    return {"Records": [sqs_record(body, queue=queue) for body in (bodies or (None,))]}


# -- EventBridge schedule ------------------------------------------------------------

def schedule(*, rule: str = "my-schedule", time: str | None = None, detail: Any = None) -> dict[str, Any]:
    """The event of a scheduled EventBridge rule."""
    region = _region()
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": time or _now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT}:rule/{rule}"],
        "detail": {} if detail is None else detail,
    }


# -- S3 ------------------------------------------------------------------------------

def s3(key: str = "uploads/example.txt", *, bucket: str = "my-bucket", event_name: str = "ObjectCreated:Put",
       size: int = 1024) -> dict[str, Any]:
    """An S3 notification for ``key`` (URL-encoded in the event, as S3 sends it)."""
    now = _now()
    region = _region()
    obj: dict[str, Any] = {"key": quote_plus(key, safe="/"), "sequencer": f"{int(now.timestamp() * 1e6):X}"}
    if not event_name.startswith("ObjectRemoved"):
        obj.update(size=size, eTag=hashlib.md5(key.encode("utf-8"), usedforsecurity=False).hexdigest())
    return {"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:AIDAJDPLRKLG7UEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": uuid.uuid4().hex[:16].upper(),
                             "x-amz-id-2": base64.b64encode(os.urandom(48)).decode("ascii")},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "tight-local",
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                       "arn": f"arn:aws:s3:::{bucket}"},
            "object": obj,
        },
    }]}


# -- DynamoDB streams ----------------------------------------------------------------

def to_dynamodb_json(value: Any) -> dict[str, Any]:
    """A Python value as a DynamoDB JSON attribute value (``3`` -> ``{"N": "3"}``)."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (int, float, decimal.Decimal)):
        return {"N": str(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"B": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Mapping):
        return {"M": image(value)}
    if isinstance(value, (set, frozenset)) and value:
        items = sorted(value, key=repr)
        if all(isinstance(item, str) for item in items):
            return {"SS": items}
        if all(isinstance(item, (bytes, bytearray)) for item in items):
            return {"BS": [to_dynamodb_json(item)["B"] for item in items]}
        if all(isinstance(item, (int, float, decimal.Decimal)) and not isinstance(item, bool) for item in items):
            return {"NS": [str(item) for item in items]}
    if isinstance(value, (list, tuple)):
        return {"L": [to_dynamodb_json(item) for item in value]}
    raise TypeError(f"cannot write {type(value).__name__} as DynamoDB JSON")


def image(item: Mapping[str, Any]) -> dict[str, Any]:
    """A dict as a DynamoDB JSON image."""
    return {str(name): to_dynamodb_json(value) for name, value in item.items()}


def dynamodb_stream(new_image: Mapping[str, Any] | None = None, old_image: Mapping[str, Any] | None = None, *,
                    keys: Mapping[str, Any] | None = None, table: str = "my-table",
                    event_name: str | None = None) -> dict[str, Any]:
    """A stream event with one record: INSERT (new image only), MODIFY (both) or REMOVE (old only).

    ``keys`` default to the first attribute of the image (``{"id": ...}``).
    """
    if new_image is None and old_image is None:
        new_image = {"id": "1", "name": "example"}
    if event_name is None:
        event_name = "MODIFY" if new_image is not None and old_image is not None else (
            "INSERT" if new_image is not None else "REMOVE")
    some = new_image if new_image is not None else old_image
    if keys is None:
        first = next(iter(some), None)
        keys = {first: some[first]} if first is not None else {}
    now = _now()
    change: dict[str, Any] = {"ApproximateCreationDateTime": int(now.timestamp()), "Keys": image(keys)}
    if new_image is not None:
        change["NewImage"] = image(new_image)
    if old_image is not None:
        change["OldImage"] = image(old_image)
    change.update(SequenceNumber=str(int(now.timestamp() * 1e6)).ljust(21, "0"),
                  SizeBytes=len(json.dumps(change)), StreamViewType="NEW_AND_OLD_IMAGES")
    region = _region()
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}"
    return {"Records": [{
        "eventID": uuid.uuid4().hex,
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": change,
        "eventSourceARN": f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{table}/stream/{stamp}",
    }]}


# -- Lambda authorizers --------------------------------------------------------------

def authorizer(token: str | None = "Bearer example-token", *, payload: str = "1.0", kind: str = "REQUEST",
               header: str = "Authorization", method: str = "GET", path: str = "/hello",
               api: str = "a1b2c3d4e5", stage: str = "dev") -> dict[str, Any]:
    """What API Gateway sends a Lambda authorizer for a call carrying ``token`` in ``header``.

    ``payload`` 1.0: a REST API's ``REQUEST`` event (``kind="TOKEN"``: its ``TOKEN`` event);
    2.0: an HTTP API's. ``token=None`` leaves the header out.
    """
    region, now = _region(), _now()
    arn = f"arn:aws:execute-api:{region}:{ACCOUNT}:{api}/{stage}/{method}{path}"
    if kind == "TOKEN":
        return {"type": "TOKEN", "authorizationToken": token or "", "methodArn": arn}
    host = f"{api}.execute-api.{region}.amazonaws.com"
    headers = {"Host": host, "User-Agent": "curl/8.5.0", "X-Forwarded-For": "198.51.100.23",
               "X-Forwarded-Port": "443", "X-Forwarded-Proto": "https"}
    if token is not None:
        headers[header] = token
    request_id = str(uuid.uuid4())
    if payload == "2.0":
        lowered = {k.lower(): v for k, v in headers.items()}
        return {"version": "2.0", "type": "REQUEST", "routeArn": arn,
                "identitySource": [token] if token is not None else [], "routeKey": f"ANY {path}",
                "rawPath": path, "rawQueryString": "", "headers": lowered,
                "requestContext": {"accountId": ACCOUNT, "apiId": api, "domainName": host, "domainPrefix": api,
                                   "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                            "sourceIp": "198.51.100.23", "userAgent": "curl/8.5.0"},
                                   "requestId": request_id, "routeKey": f"ANY {path}", "stage": stage,
                                   "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                                   "timeEpoch": int(now.timestamp() * 1000)},
                "pathParameters": {}, "stageVariables": {}}
    identity = dict.fromkeys(("accessKey", "accountId", "apiKey", "apiKeyId", "caller", "clientCert",
                              "cognitoAuthenticationProvider", "cognitoAuthenticationType", "cognitoIdentityId",
                              "cognitoIdentityPoolId", "principalOrgId", "user", "userArn"))
    identity.update(sourceIp="198.51.100.23", userAgent="curl/8.5.0")
    return {"type": "REQUEST", "methodArn": arn, "resource": path, "path": path, "httpMethod": method,
            "headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
            "stageVariables": None,
            "requestContext": {"path": f"/{stage}{path}", "accountId": ACCOUNT, "resourceId": "x1y2z3",
                               "stage": stage, "domainPrefix": api, "requestId": request_id,
                               "extendedRequestId": request_id, "identity": identity, "domainName": host,
                               "resourcePath": path, "httpMethod": method, "protocol": "HTTP/1.1",
                               "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                               "requestTimeEpoch": int(now.timestamp() * 1000), "apiId": api}}


# -- by function type ----------------------------------------------------------------

def _s3_event_name(settings: Mapping[str, Any]) -> str:
    """``s3:ObjectRemoved:*`` -> ``ObjectRemoved:Delete``; anything else -> ``ObjectCreated:Put``."""
    events = settings.get("events") or []
    first = (events[0] if isinstance(events, list) and events else str(events or "")).removeprefix("s3:")
    return "ObjectRemoved:Delete" if first.startswith("ObjectRemoved") else "ObjectCreated:Put"


def for_function(function: str, settings: Mapping[str, Any], body: str | None = None,
                 prefix: str = "", payload: str = "1.0") -> dict[str, Any] | None:
    """A sample event for ``function`` of the type in ``settings`` (its tight.yml entry), or None for HTTP.

    ``body`` (text, as given on a command line) is the authorizer's token, the SQS message, the S3 key, the stream's
    new image (JSON) or the schedule's detail (JSON). ``prefix`` (``NAME-STAGE-``) names the
    queue, rule, bucket and table as a deployed stage would; ``payload`` 2.0 makes an authorizer's
    event an HTTP API's (1.0: a REST API's). A body that must be JSON and is
    not raises ValueError.
    """
    kind = settings.get("type", "lambda_proxy")
    if kind == "authorizer":
        return authorizer("Bearer example-token" if body is None else body, payload=payload,
                          header=settings.get("header") or "Authorization")
    if kind == "sqs":
        return sqs("Hello from tight local.invoke" if body is None else body, queue=f"{prefix}{function}")
    if kind == "schedule":
        return schedule(rule=f"{prefix}{function}", detail=None if body is None else _json(body, "detail"))
    if kind == "s3":
        key = body if body is not None else f"{settings.get('prefix') or ''}example.txt"
        bucket = f"{prefix}{settings.get('bucket') or function}"
        return s3(key, bucket=bucket, event_name=_s3_event_name(settings))
    if kind == "dynamodb_stream":
        new_image = None if body is None else _json(body, "new image")
        if new_image is not None and not isinstance(new_image, Mapping):
            raise ValueError("the stream's new image must be a JSON object, e.g. '{\"id\": \"1\"}'")
        return dynamodb_stream(new_image, table=f"{prefix}{settings.get('table') or function}")
    return None


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValueError(f"the {what} must be JSON ({exc})") from None
    except RecursionError:
        raise ValueError(f"the {what} is JSON nested too deeply to decode") from None
