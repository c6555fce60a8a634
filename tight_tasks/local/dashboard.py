"""The dashboard of ``local.serve`` at ``/_tight/``: one page (no build step, no CDN) and its JSON API.

``GET /_tight/`` the page (``dashboard.html``), which polls ``GET /_tight/api/state?since=N``
every second: functions and routes, invocations after N, queue counts, schedules, tables
and buckets. On demand: ``GET /_tight/api/invocations/<id>`` (event, response, logs),
``GET /_tight/api/tables/<table>`` (items), ``GET /_tight/api/buckets/<bucket>`` (objects).
Actions, ``POST`` with a JSON body only (so a page of another origin cannot send one
without a CORS preflight, which is never answered): ``/_tight/api/tables/<table>/delete``
``{"key": {...}}``, ``/_tight/api/queues/<function>/redrive``, ``/_tight/schedules/<name>``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from tight.dev.routes import RESERVED_PATH

PAGE = Path(__file__).with_name("dashboard.html")
#: Items and objects listed per table or bucket.
LISTED = 100


class Problem(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def wrap(inner, running):
    """A WSGI application answering ``/_tight/...`` itself and everything else through ``inner``."""
    page = PAGE.read_bytes()

    def application(environ, start_response):
        path = environ.get("PATH_INFO") or "/"
        if path != RESERVED_PATH and not path.startswith(RESERVED_PATH + "/"):
            return inner(environ, start_response)
        if path in (RESERVED_PATH, RESERVED_PATH + "/"):
            if path == RESERVED_PATH:
                start_response("308 Permanent Redirect", [("Location", RESERVED_PATH + "/"), ("Content-Length", "0")])
                return [b""]
            return _send(start_response, 200, page, "text/html; charset=utf-8")
        try:
            answer = route(running, environ.get("REQUEST_METHOD", "GET"), path[len(RESERVED_PATH):], environ)
        except Problem as exc:
            answer, status = {"message": str(exc)}, exc.status
        else:
            status = 200
        return _send(start_response, status, json.dumps(answer, default=str).encode(), "application/json")

    return application


def _send(start_response, status: int, body: bytes, kind: str):
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
              415: "Unsupported Media Type"}.get(status, "Error")
    start_response(f"{status} {reason}", [("Content-Type", kind), ("Content-Length", str(len(body))),
                                          ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")])
    return [body]


def _body(environ) -> dict[str, Any]:
    try:
        size = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        size = 0
    if size > 1 << 20:
        raise Problem(400, "a dashboard action's body is at most 1 MiB")
    raw = environ["wsgi.input"].read(size) if size > 0 else b""  # read even when refused: keep-alive goes on
    if (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower() != "application/json":
        raise Problem(415, "dashboard actions take a JSON body (Content-Type: application/json)")
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, RecursionError):
        raise Problem(400, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise Problem(400, "the body must be a JSON object")
    return data


def route(running, method: str, path: str, environ) -> Any:
    parts = [unquote(p) for p in path.strip("/").split("/")]
    if method == "GET" and parts == ["api", "state"]:
        since = parse_qs(environ.get("QUERY_STRING", "")).get("since", ["0"])[0]
        return state(running, int(since) if since.isdigit() else 0)
    if method == "GET" and len(parts) == 3 and parts[:2] == ["api", "invocations"]:
        found = [e for e in list(running.activity.recent) if str(e["id"]) == parts[2]]
        if not found:
            raise Problem(404, f"no invocation {parts[2]} (only the last {running.activity.recent.maxlen} are kept)")
        return found[0]
    if method == "GET" and len(parts) == 3 and parts[:2] == ["api", "tables"]:
        return items(running, parts[2])
    if method == "GET" and len(parts) == 3 and parts[:2] == ["api", "buckets"]:
        return objects(running, parts[2])
    if method == "POST" and len(parts) == 4 and parts[:2] == ["api", "tables"] and parts[3] == "delete":
        return delete_item(running, parts[2], _body(environ).get("key"))
    if method == "POST" and len(parts) == 4 and parts[:2] == ["api", "queues"] and parts[3] == "redrive":
        _body(environ)
        return redrive(running, parts[2])
    if method == "POST" and len(parts) == 2 and parts[0] == "schedules":
        _body(environ)
        if running.timer is None or parts[1] not in running.timer.functions:
            known = ", ".join(sorted(running.timer.functions)) if running.timer else ""
            raise Problem(404, f"no schedule function {parts[1]!r} (schedules: {known or 'none'})")
        return running.timer.fire(parts[1])
    raise Problem(404 if method in ("GET", "POST") else 405, f"no dashboard resource {method} {RESERVED_PATH}{path}")


def state(running, since: int) -> dict[str, Any]:
    app = running.app
    invocations = [{k: e[k] for k in ("id", "time", "function", "source", "status", "ms") if k in e}
                   for e in running.activity.since(since)]
    functions = [{"name": name, "type": s.get("type"), "source": _source(s),
                  "routes": [r.path for r in app.table.routes if r.function == name]}
                 for name, s in sorted(app.settings.items())]
    res = running.resources
    queues = []
    for name, url in sorted(res.queues.items()) if res else ():
        queues.append({"function": name, "queue": url.rsplit("/", 1)[-1], **_counts(running, url),
                       "dead": _counts(running, res.dead_letters[name])["visible"]})
    return {"endpoint": running.database["endpoint"] if running.database else None,
            "functions": functions, "invocations": invocations, "queues": queues,
            "schedules": sorted(running.timer.functions) if running.timer else [],
            "tables": _tables(running), "buckets": sorted(set(res.buckets.values())) if res else []}


def _source(settings: dict[str, Any]) -> str:
    kind = settings.get("type")
    return {"sqs": "queue", "s3": f"bucket {settings.get('bucket')}" + (f" ({settings['prefix']}*)"
                                                                          if settings.get("prefix") else ""),
            "dynamodb_stream": f"stream of {settings.get('table')}", "schedule": str(settings.get("schedule")),
            "lambda_proxy": "http"}.get(kind, kind)


def _counts(running, url: str) -> dict[str, int]:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    found = running.clients["sqs"].get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return {"visible": int(found.get(names[0], 0)), "in_flight": int(found.get(names[1], 0))}


def _endpoint(running) -> str:
    import os

    endpoint = running.database and running.database.get("endpoint") or os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    if not endpoint:
        raise Problem(404, "no local DynamoDB (--no-db)")
    return endpoint


def _tables(running) -> list[str]:
    from tight.dev.local_dynamodb import list_tables

    if not running.database:
        return []
    return list_tables(running.database["endpoint"])


def items(running, table: str) -> dict[str, Any]:
    from tight.dev.local_dynamodb import DynamoDBError, call

    endpoint = _endpoint(running)
    try:
        keys = [k["AttributeName"] for k in call(endpoint, "DescribeTable", {"TableName": table})["Table"]["KeySchema"]]
        page = call(endpoint, "Scan", {"TableName": table, "Limit": LISTED})
    except DynamoDBError as exc:
        raise Problem(404, f"table {table}: {exc}") from None
    return {"table": table, "keys": keys, "items": page.get("Items", []), "more": bool(page.get("LastEvaluatedKey"))}


def delete_item(running, table: str, key: Any) -> dict[str, Any]:
    from tight.dev.local_dynamodb import DynamoDBError, call

    if not isinstance(key, dict) or not key:
        raise Problem(400, 'give the item\'s key in DynamoDB JSON: {"key": {"id": {"S": "a1"}}}')
    try:
        call(_endpoint(running), "DeleteItem", {"TableName": table, "Key": key})
    except DynamoDBError as exc:
        raise Problem(400, f"table {table}: {exc}") from None
    return {"deleted": key}


def objects(running, bucket: str) -> dict[str, Any]:
    from botocore.exceptions import ClientError

    if not running.clients:
        raise Problem(404, f"no bucket {bucket}")
    try:
        page = running.clients["s3"].list_objects_v2(Bucket=bucket, MaxKeys=LISTED)
    except ClientError as exc:
        raise Problem(404, f"bucket {bucket}: {exc}") from None
    return {"bucket": bucket, "more": bool(page.get("IsTruncated")), "objects": [
        {"key": o["Key"], "size": o["Size"], "modified": o["LastModified"].isoformat()} for o in page.get("Contents", [])]}


def redrive(running, function: str) -> dict[str, Any]:
    """Move every message of ``function``'s dead-letter queue back to its queue (as SQS's redrive does)."""
    res = running.resources
    if not res or function not in res.queues:
        raise Problem(404, f"no sqs function {function!r} (queues: {', '.join(sorted(res.queues)) if res else 'none'})")
    sqs, moved = running.clients["sqs"], 0
    fifo = res.queues[function].endswith(".fifo")
    while True:
        found = sqs.receive_message(QueueUrl=res.dead_letters[function], MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                    AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages") or []
        if not found:
            return {"moved": moved}
        for message in found:
            request = {"QueueUrl": res.queues[function], "MessageBody": message["Body"]}
            if message.get("MessageAttributes"):
                request["MessageAttributes"] = message["MessageAttributes"]
            if fifo:
                request["MessageGroupId"] = message["Attributes"].get("MessageGroupId", "default")
                request["MessageDeduplicationId"] = message["MessageId"] + "-redrive"
            sqs.send_message(**request)
            sqs.delete_message(QueueUrl=res.dead_letters[function], ReceiptHandle=message["ReceiptHandle"])
            moved += 1
