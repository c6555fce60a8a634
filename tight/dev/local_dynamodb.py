"""A local DynamoDB for tests and development: moto's server, tables from models.

::

    from tight.dev.local_dynamodb import embedded_dynamodb
    from tight.dev.models import discover_models

    with embedded_dynamodb(discover_models(app_root)) as endpoint:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint   # boto3, AWS CLI, flywheel
        ...

The server runs in a thread of this process (no Java, no Docker); its data is
in memory and shared by every moto server of the process, so the dynamodb
state is reset when the context exits.  Like DynamoDB Local's ``-sharedDb``,
one database serves every client: whatever region (``localhost`` included) and
access key a client signs with, it sees the same tables (:class:`SharedDb`).

moto, boto3 and flywheel are imported lazily; table creation speaks the
DynamoDB JSON API over plain HTTP (:func:`call`), so it needs no boto3 at all.
"""
from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterable, Iterator
from typing import Any

from tight.providers.aws.clients.dynamo_db import DEFAULT_REGION  # noqa: F401 - one home: the runtime
from tight.providers.aws.clients.dynamo_db import DUMMY_CREDENTIALS as _KEYS
from tight.providers.aws.clients.dynamo_db import region_name as region

#: The one moto region (and the default account) every request of the embedded engine is served from.
SHARED_REGION = "us-east-1"
#: Credentials for a local engine (the runtime's): neither moto nor DynamoDB Local checks them.
DUMMY_CREDENTIALS = {"aws_access_key_id": _KEYS[0], "aws_secret_access_key": _KEYS[1]}


def client(endpoint: str, region_name: str | None = None):
    """A boto3 DynamoDB client for a local ``endpoint`` (dummy credentials)."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(region_name=region_name or region(), **DUMMY_CREDENTIALS)
    return session.client("dynamodb", endpoint_url=endpoint,
                          config=Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=30))


class DynamoDBError(RuntimeError):
    """An error answer of a local engine: ``code`` is its ``__type`` (e.g. ResourceInUseException)."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(f"{code}: {message}" if message else code)


def call(endpoint: str, operation: str, payload: dict[str, Any] | None = None, region_name: str | None = None,
         timeout: float = 30.0) -> dict[str, Any]:
    """One DynamoDB JSON API call over plain HTTP, without boto3 (fast to start).

    Local engines accept any signature and, with a shared database, ignore the
    region of the credential scope.
    """
    import http.client
    import json
    from urllib.parse import urlsplit

    url = urlsplit(endpoint)
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": f"DynamoDB_20120810.{operation}",
        "Authorization": (f"AWS4-HMAC-SHA256 Credential={DUMMY_CREDENTIALS['aws_access_key_id']}/20200101/"
                          f"{region_name or region()}/dynamodb/aws4_request, SignedHeaders=host, Signature=0"),
    }
    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=timeout)
    try:
        conn.request("POST", url.path or "/", body=json.dumps(payload or {}), headers=headers)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        data = {"message": body[:200].decode("utf-8", "replace")}
    if response.status >= 400:
        code = str(data.get("__type", f"HTTP {response.status}")).rsplit("#", 1)[-1]
        raise DynamoDBError(code, str(data.get("message") or data.get("Message") or ""))
    return data


def wait_until_ready(endpoint: str, timeout: float = 30.0, alive=lambda: True) -> None:
    """Poll ``endpoint`` with ListTables until it answers (``alive()`` false: give up)."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        if not alive():
            raise RuntimeError(f"the engine stopped before answering on {endpoint}")
        try:
            call(endpoint, "ListTables", {"Limit": 1}, timeout=2)
            return
        except DynamoDBError as exc:
            if not exc.code.startswith("HTTP 5"):
                return  # it answers, even if it dislikes the request
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"no DynamoDB answered on {endpoint} within {timeout:.0f} s")
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def create_request(spec: dict[str, Any]) -> dict[str, Any]:
    """CreateTable parameters from a :func:`tight.dev.models.table_spec` (TTL is separate)."""
    request = {k: v for k, v in spec.items() if k not in ("TimeToLiveSpecification", "StreamSpecification")}
    stream = spec.get("StreamSpecification")
    if stream:
        request["StreamSpecification"] = {"StreamEnabled": True, **stream}
    return request


def create_tables(endpoint: str, models: Iterable[Any], region_name: str | None = None) -> list[str]:
    """Create a table for every model (keys, indexes, billing, streams, then TTL).

    ``models`` are flywheel Model classes or :func:`~tight.dev.models.table_spec`
    dicts. Tables that already exist are left as they are. Returns the table names.
    Raises :class:`DynamoDBError` when the engine refuses a table.
    """
    from tight.dev.models import table_spec

    specs = [m if isinstance(m, dict) else table_spec(m) for m in models]
    if not specs:
        return []
    existing = set(list_tables(endpoint, region_name))
    names = []
    for spec in specs:
        name = spec["TableName"]
        names.append(name)
        if name in existing:
            continue
        try:
            call(endpoint, "CreateTable", create_request(spec), region_name)
        except DynamoDBError as exc:
            if exc.code == "ResourceInUseException":
                continue
            raise DynamoDBError(exc.code, f"cannot create table {name}: {exc}") from None
        existing.add(name)
        ttl = spec.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            _wait_active(endpoint, name, region_name)
            call(endpoint, "UpdateTimeToLive", {"TableName": name, "TimeToLiveSpecification": ttl}, region_name)
    return names


def write_items(endpoint: str, table: str, items: list[dict[str, Any]]) -> None:
    """Put ``items`` (DynamoDB JSON: ``{"id": {"S": "a1"}}``, binary as base64) with BatchWriteItem, 25 a call."""
    for start in range(0, len(items), 25):
        request = {table: [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]}
        while request:
            answer = call(endpoint, "BatchWriteItem", {"RequestItems": request})
            request = answer.get("UnprocessedItems") or None


def scan_items(endpoint: str, table: str) -> list[dict[str, Any]]:
    """Every item of ``table`` in DynamoDB JSON (all pages of a Scan)."""
    items: list[dict[str, Any]] = []
    payload: dict[str, Any] = {"TableName": table}
    while True:
        page = call(endpoint, "Scan", payload)
        items.extend(page.get("Items", []))
        if not page.get("LastEvaluatedKey"):
            return items
        payload["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def list_tables(endpoint: str, region_name: str | None = None) -> list[str]:
    """Every table name of the engine (all pages)."""
    names: list[str] = []
    payload: dict[str, Any] = {}
    while True:
        page = call(endpoint, "ListTables", payload, region_name)
        names.extend(page.get("TableNames", []))
        if not page.get("LastEvaluatedTableName"):
            return names
        payload["ExclusiveStartTableName"] = page["LastEvaluatedTableName"]


def _wait_active(endpoint: str, name: str, region_name: str | None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while call(endpoint, "DescribeTable", {"TableName": name}, region_name)["Table"].get("TableStatus") not in (
            "ACTIVE", None):
        if time.monotonic() > deadline:
            raise TimeoutError(f"table {name} did not become ACTIVE")
        time.sleep(0.05)


def listen_url(host: str, port: int) -> str:
    """The URL clients use for a server bound to ``host`` (a wildcard address means this machine)."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class EmbeddedServer:
    """moto's server on ``host:port`` in a thread of this process (port 0: any free port).

    Unlike ``moto.server.ThreadedMotoServer.stop()``, :meth:`stop` also closes
    the listening socket, so the port is free again when it returns. ``fd``: serve
    a socket that is already listening on ``host:port`` (its owner closes it).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, fd: int | None = None):
        self.host = host
        self.port = port
        self.fd = fd
        self._server = None

    @property
    def endpoint(self) -> str:
        return listen_url(self.host, self.port)

    def start(self) -> str:
        import logging
        import threading

        from moto.moto_server.threaded_moto_server import ThreadedMotoServer  # noqa: F401 - moto's server
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        _prepare_moto()
        app = SharedDb(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self.host, self.port, app, threaded=True, request_handler=MotoRequestHandler,
                                   fd=self.fd)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="tight-moto", daemon=True)
        self._thread.start()
        return self.endpoint

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        self._thread.join(5)
        reset_state()


_SCOPE = re.compile(r"Credential=[^,\s]*")
_UA_REGION = re.compile(r"\s?region/[^\s]*")
_DYNAMODB_TARGETS = ("DynamoDB_", "DynamoDBStreams_")
_SERVICE = re.compile(r"Credential=[^/,\s]*/[^/,\s]*/[^/,\s]*/([^/,\s]*)/")
#: Services of the engine that ``local.serve`` shares the same way (its queues and buckets).
SHARED_SERVICES = ("sqs", "s3")


class SharedDb:
    """WSGI middleware: every DynamoDB request lands on one moto account and region.

    moto picks its backend per account (from the access key, or an
    ``x-moto-account-id`` header) and region (from the credential scope or the
    User-Agent); DynamoDB Local's ``-sharedDb`` ignores both. This rewrites a
    DynamoDB (or Streams) request's credential scope to one key and
    :data:`SHARED_REGION`, and drops what else moto would read the account or
    region from. Other services (the server answers them too) pass unchanged.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith(_DYNAMODB_TARGETS):
            environ = shared_environ(environ)
        else:
            service = _SERVICE.search(environ.get("HTTP_AUTHORIZATION", ""))
            if service and service.group(1) in SHARED_SERVICES:
                environ = shared_environ(environ, service.group(1))
        return self.app(environ, start_response)


def shared_environ(environ: dict[str, Any], service: str = "dynamodb") -> dict[str, Any]:
    """A copy of a DynamoDB (SQS, S3) request's WSGI ``environ`` signed for the shared account and region."""
    environ = dict(environ)
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = _SCOPE.search(auth)
    parts = match.group(0).split("/") if match else []
    date = parts[1] if len(parts) == 5 else "20200101"
    scope = f"Credential={DUMMY_CREDENTIALS['aws_access_key_id']}/{date}/{SHARED_REGION}/{service}/aws4_request"
    if match and auth.startswith("AWS4"):
        environ["HTTP_AUTHORIZATION"] = auth[:match.start()] + scope + auth[match.end():]
    else:
        environ["HTTP_AUTHORIZATION"] = f"AWS4-HMAC-SHA256 {scope}, SignedHeaders=host, Signature=0"
    if "HTTP_USER_AGENT" in environ:
        environ["HTTP_USER_AGENT"] = _UA_REGION.sub("", environ["HTTP_USER_AGENT"])
    environ.pop("HTTP_X_MOTO_ACCOUNT_ID", None)
    return environ


def _prepare_moto() -> None:
    """Make moto's in-process engine as forgiving as DynamoDB Local about the shell's AWS settings.

    DynamoDB Local takes any region (``AWS_REGION=localhost`` is a common idiom);
    moto refuses unknown ones unless told otherwise. moto also asks botocore once
    for the list of regions, which fails when ``AWS_PROFILE`` names a profile this
    machine does not have; a local engine needs no profile, so that first lookup
    runs without one (botocore caches its result).
    """
    os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "true")
    profiles = {k: os.environ.pop(k) for k in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE") if k in os.environ}
    if not profiles:
        return
    try:
        from moto.core.base_backend import AccountSpecificBackend

        session = AccountSpecificBackend.get_session()
        session.get_available_partitions()
        session.get_available_regions("dynamodb")
    finally:
        os.environ.update(profiles)


def reset_state() -> None:
    """Forget every table moto holds in this process (and the queues and buckets local.serve made)."""
    import sys

    from moto.dynamodb.models import dynamodb_backends

    dynamodb_backends.reset()
    for name, attribute in (("moto.dynamodbstreams.models", "dynamodbstreams_backends"),
                            ("moto.sqs.models", "sqs_backends"), ("moto.s3.models", "s3_backends")):
        module = sys.modules.get(name)  # only what was used: importing a backend costs time
        if module is not None:
            getattr(module, attribute).reset()


@contextlib.contextmanager
def embedded_dynamodb(models: Iterable[Any] = (), host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Start moto's DynamoDB, create a table per model, yield ``'http://HOST:PORT'``.

    ``port=0`` picks a free port. The server stops (and the port is released,
    the tables forgotten) when the block exits, also on errors.
    """
    server = EmbeddedServer(host, port)
    endpoint = server.start()
    try:
        wait_until_ready(endpoint)
        create_tables(endpoint, models)
        yield endpoint
    finally:
        server.stop()
