"""Local DynamoDB engines for ``tight dynamo.rundb`` (``dynamo.installdb`` is in installdb.py).

Engines:

``embedded``
    moto's DynamoDB server in a thread of this process
    (:class:`tight.core.local_dynamodb.EmbeddedServer`): no Java, no Docker,
    data in memory.
``local``
    DynamoDB Local (``dynamo_db/DynamoDBLocal.jar``, installed by
    ``installdb``) as a Java 17+ child process with ``-sharedDb -dbPath``.
``auto``
    ``local`` when the jar is installed and Java 17+ is found, else ``embedded``.

:func:`running_dynamodb` is the Python API: a context manager that starts an
engine with a table for every model of the app and yields its endpoint.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .config import fail, usage_error

ENGINES = ("auto", "embedded", "local")
JAR = "DynamoDBLocal.jar"
LIB = "DynamoDBLocal_lib"
SHARED_DB = "shared-local-instance.db"
MIN_JAVA = 17


def say(message: str = "") -> None:
    print(message, flush=True)


def warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- Java --------------------------------------------------------------------------


def java_version(java: str | None = None) -> tuple[str | None, int | None, str]:
    """``(path, major version, first line of java -version)``; path None when not found."""
    path = java or shutil.which("java")
    if path is None:
        home = os.environ.get("JAVA_HOME")
        candidate = Path(home, "bin", "java") if home else None
        path = str(candidate) if candidate and candidate.is_file() else None
    if path is None:
        return None, None, "java not found on PATH"
    try:
        result = subprocess.run([path, "-version"], check=False, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, None, f"{path} -version failed: {exc}"
    text = (result.stderr or result.stdout).strip()
    first = text.splitlines()[0] if text else ""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if not match:
        return path, None, first
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8.0_312" is Java 8
        major = int(match.group(2))
    return path, major, first


def java_warning() -> str | None:
    path, major, line = java_version()
    if path is None:
        return (f"Warning: Java {MIN_JAVA}+ was not found ({line}): DynamoDB Local needs it. "
                "`tight dynamo.rundb` will use the embedded engine (moto), which needs no Java.")
    if major is None or major < MIN_JAVA:
        return (f"Warning: {path} is not Java {MIN_JAVA}+ ({line}): DynamoDB Local v2.6+ needs Java {MIN_JAVA}. "
                "`tight dynamo.rundb` will use the embedded engine (moto), which needs no Java.")
    return None


# -- engines -----------------------------------------------------------------------


class EmbeddedEngine:
    name = "embedded"

    def __init__(self, host: str, port: int):
        from tight.core.local_dynamodb import EmbeddedServer

        self.server = EmbeddedServer(host, port)
        self.endpoint = self.server.endpoint

    def start(self) -> None:
        self.endpoint = self.server.start()

    def alive(self) -> bool:
        return True

    def stop(self) -> None:
        self.server.stop()

    def banner(self, region: str, keep: bool) -> list[str]:
        import importlib.metadata

        try:
            moto_version = importlib.metadata.version("moto")
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover
            moto_version = "?"
        return [
            "Initializing DynamoDB (embedded engine) with the following configuration:",
            f"Engine:     embedded (moto {moto_version}, in this process; no Java needed)",
            f"Endpoint:   {self.endpoint}",
            f"Port:       {self.server.port}",
            "InMemory:   true",
            "DbPath:     none (data lives in memory" + ("; --keep has no effect)" if keep else ")"),
            "SharedDb:   true (one database for every client, region and access key)",
        ]


class LocalEngine:
    name = "local"

    def __init__(self, host: str, port: int, directory: Path, java: str):
        self.host, self.port, self.directory, self.java = host, port, directory, java
        from tight.core.local_dynamodb import endpoint_url

        self.endpoint = endpoint_url(host, port)
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [self.java, f"-Djava.library.path={self.directory / LIB}", "-jar", str(self.directory / JAR),
                "-sharedDb", "-dbPath", str(self.directory), "-port", str(self.port)]

    def start(self) -> None:
        self.process = subprocess.Popen(self.command(), cwd=self.directory, stdin=subprocess.DEVNULL,
                                        start_new_session=True,
                                        preexec_fn=_die_with_parent())  # noqa: PLW1509 - only calls prctl

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def banner(self, region: str, keep: bool) -> list[str]:
        return [
            "Engine:     local (DynamoDB Local, Java)",
            f"Endpoint:   {self.endpoint}",
            f"Port:       {self.port}",
            "InMemory:   false",
            f"DbPath:     {self.directory}" + (" (kept from the last run)" if keep else ""),
            f"SharedDb:   true ({SHARED_DB}: one database for every client and region)",
            "Host:       DynamoDB Local has no bind-address option; --host only sets the endpoint tight uses",
        ]


def _die_with_parent():
    """On Linux, a ``preexec_fn`` asking the kernel to SIGTERM the child if tight dies (no orphan java).

    libc's ``prctl`` is looked up here, in the parent; the child only calls it.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def set_pdeathsig() -> None:
        prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG

    return set_pdeathsig


def choose_engine(engine: str, root: Path, directory: str | os.PathLike, host: str, port: int):
    """The engine object for ``--engine`` (auto: local when the jar and Java 17+ are there)."""
    if engine not in ENGINES:
        raise usage_error(f"--engine {engine!r} is not one of {', '.join(ENGINES)}.")
    dbdir = (root / directory).absolute()
    if engine == "embedded":
        return EmbeddedEngine(host, port)
    has_jar = (dbdir / JAR).is_file()
    if engine == "auto" and not has_jar:
        return EmbeddedEngine(host, port)
    java, major, line = java_version()
    if engine == "auto":
        if java is None or major is None or major < MIN_JAVA:
            return EmbeddedEngine(host, port)
        return LocalEngine(host, port, dbdir, java)
    if not has_jar:
        raise fail(f"DynamoDB Local is not installed in {dbdir}: run `tight dynamo.installdb`, "
                   "or use --engine embedded (no Java needed).")
    if java is None or major is None or major < MIN_JAVA:
        raise fail(f"--engine local needs Java {MIN_JAVA}+ ({line}): install it, or use --engine embedded.")
    return LocalEngine(host, port, dbdir, java)


# -- seeding -----------------------------------------------------------------------


def _load_seed_file(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        try:
            return json.loads(text)
        except ValueError as exc:
            raise fail(f"{path}: invalid JSON ({exc}); fix the file and retry.") from None
    from .config import load_yaml_file

    return load_yaml_file(path)


def _to_dynamo_value(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _to_dynamo_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_dynamo_value(v) for v in value]
    return value


def _json_wire(value: Any) -> Any:
    """DynamoDB's wire format as JSON: binary values (``B``, ``BS``) travel base64-encoded."""
    import base64

    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {k: _json_wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_json_wire(v) for v in value]
    return value


def seed_tables(endpoint: str, specs: list[dict[str, Any]], seed_dir: Path, prefix: str) -> dict[str, int]:
    """Load ``seed_dir/<table suffix or table name>.{yml,yaml,json}`` (a list of items) into the tables."""
    from boto3.dynamodb.types import TypeSerializer

    from tight.core.local_dynamodb import call

    if not seed_dir.is_dir():
        raise fail(f"--seed {seed_dir}: no such directory.")
    by_name: dict[str, dict[str, Any]] = {}
    for spec in specs:
        name = spec["TableName"]
        by_name[name] = spec
        if prefix and name.startswith(prefix):
            by_name.setdefault(name[len(prefix):], spec)
    files = sorted(p for p in seed_dir.iterdir() if p.is_file() and p.suffix in (".yml", ".yaml", ".json"))
    serializer = TypeSerializer()
    batches: list[tuple[str, list[dict[str, Any]]]] = []
    for path in files:
        spec = by_name.get(path.stem)
        if spec is None:
            raise fail(f"{path}: no model has table {path.stem!r} (tables: {', '.join(s['TableName'] for s in specs)}); "
                       "name seed files after a table or its suffix, e.g. accounts.yml.")
        data = _load_seed_file(path)
        if data is None:
            data = []
        if not isinstance(data, list):
            raise fail(f"{path}: expected a list of items, got {type(data).__name__}.")
        keys = {k["AttributeName"]: k for k in spec["KeySchema"]}
        types = {a["AttributeName"]: a["AttributeType"] for a in spec["AttributeDefinitions"]}
        items = []
        for index, item in enumerate(data):
            where = f"{path}: item {index}"
            if not isinstance(item, dict):
                raise fail(f"{where}: expected a mapping of attribute: value, got {type(item).__name__}.")
            for key in keys:
                if key not in item:
                    raise fail(f"{where}: missing key attribute {key!r}.")
            try:
                wire = {str(k): serializer.serialize(_to_dynamo_value(v)) for k, v in item.items()}
            except (TypeError, ValueError) as exc:
                raise fail(f"{where}: {exc}.") from None
            for key in keys:
                (kind,) = wire[key].keys()
                if kind != types[key]:
                    raise fail(f"{where}: key attribute {key!r} must have type {types[key]}, got {kind}.")
            items.append(_json_wire(wire))
        batches.append((spec["TableName"], items))
    counts: dict[str, int] = {}
    for table, items in batches:
        for start in range(0, len(items), 25):
            request = {table: [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]}
            while request:
                answer = call(endpoint, "BatchWriteItem", {"RequestItems": request})
                request = answer.get("UnprocessedItems") or None
        counts[table] = counts.get(table, 0) + len(items)
    return counts


# -- rundb -------------------------------------------------------------------------


class _Stop(BaseException):  # not an Exception: user code (model imports) must not swallow it
    """Raised in the main thread by SIGINT/SIGTERM."""


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[None]:
    def handler(signum, frame):
        raise _Stop(signal.Signals(signum).name)

    saved = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            saved[sig] = signal.signal(sig, handler)
        except ValueError:  # not the main thread: the caller handles stopping
            pass
    try:
        yield
    finally:
        for sig, previous in saved.items():
            signal.signal(sig, previous)


def _ignore_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError):
            signal.signal(sig, signal.SIG_IGN)


@contextlib.contextmanager
def running_dynamodb(root: str | os.PathLike, engine: str = "auto", host: str = "127.0.0.1", port: int = 0,
                     directory: str | os.PathLike = "dynamo_db", keep: bool = False, seed: str | None = None,
                     ) -> Iterator[dict[str, Any]]:
    """Start an engine with a table per model of the app at ``root``; yield its details.

    Yields ``{"endpoint", "engine", "tables", "seeded", "banner"}``. The app's
    env (env.dist.yml < env.yml < shell) is applied to ``os.environ`` first.
    ``port=0`` (embedded only) picks a free port. The engine stops when the block exits.
    """
    from tight.core.env import EnvFileError, apply_env
    from tight.core.local_dynamodb import (
        DynamoDBError,
        create_tables,
        port_free,
        region,
        wait_until_ready,
    )
    from tight.core.models import (
        ModelError,
        ModelImportError,
        discover_models,
        table_spec,
    )

    root = Path(root).absolute()
    chosen = choose_engine(engine, root, directory, host, port)
    if port and not port_free(host, port):
        raise fail(f"Port {port} on {host} is already in use: stop what is listening there or pass --port N.")
    if port == 0 and chosen.name == "local":
        raise usage_error("--engine local needs an explicit port.")
    try:
        apply_env(root)
    except EnvFileError as exc:
        raise fail(f"{exc}; fix the file and retry.") from None
    if chosen.name == "local":
        shared = chosen.directory / SHARED_DB
        if not keep and shared.exists():
            shared.unlink()
    chosen.start()
    try:
        try:
            models = discover_models(root)
            specs = [table_spec(m) for m in models]
        except ModelImportError as exc:
            raise fail(f"Cannot import model {exc}; the engine was stopped.") from None
        except ModelError as exc:
            raise fail(f"{exc}; the engine was stopped.") from None
        try:
            wait_until_ready(chosen.endpoint, timeout=90 if chosen.name == "local" else 30, alive=chosen.alive)
        except (RuntimeError, TimeoutError) as exc:
            raise fail(f"The {chosen.name} engine did not start: {exc}.") from None
        try:
            tables = create_tables(chosen.endpoint, specs)
        except DynamoDBError as exc:
            raise fail(f"The {chosen.name} engine refused a table: {exc}; the engine was stopped.") from None
        seeded = {}
        if seed:
            name, stage = os.environ.get("NAME"), os.environ.get("STAGE")
            prefix = f"{name}-{stage}-" if name and stage else ""
            seeded = seed_tables(chosen.endpoint, specs, Path(seed).absolute(), prefix)
        yield {"endpoint": chosen.endpoint, "engine": chosen.name, "tables": tables, "seeded": seeded,
               "banner": chosen.banner(region(), keep)}
    finally:
        chosen.stop()


def serve(root, app_settings=None, engine: str = "auto", host: str = "127.0.0.1", port: int = 8000,
          directory: str = "dynamo_db", keep: bool = False, seed: str | None = None) -> None:
    """``tight dynamo.rundb``: run until SIGINT/SIGTERM, then stop the engine and return (exit 0)."""
    root = Path(root)
    if not (root / "env.yml").is_file():
        raise fail(f"No env.yml in {root}: run `tight generate.env` first (rundb reads NAME and STAGE from it).")
    if engine not in ENGINES:
        raise usage_error(f"--engine {engine!r} is not one of {', '.join(ENGINES)}.")
    if not 0 < port < 65536:
        raise usage_error(f"--port {port} is not a TCP port (1-65535).")
    stopped_by = None
    with _stop_on_signals():
        try:
            with running_dynamodb(root, engine, host, port, directory, keep, seed) as db:
                try:
                    for line in db["banner"]:
                        say(line)
                    say()
                    say(f"This engine has the following tables {db['tables']!r}")
                    for table, count in db["seeded"].items():
                        say(f"Seeded {count} item{'s' if count != 1 else ''} into {table}")
                    say(f"Point clients at it: export AWS_ENDPOINT_URL_DYNAMODB={db['endpoint']}")
                    say("Press Ctrl-C to stop.")
                    while True:
                        time.sleep(3600)  # a signal interrupts the sleep and raises _Stop
                finally:
                    _ignore_signals()
        except _Stop as exc:
            stopped_by = str(exc)
    say(f"Stopped DynamoDB ({stopped_by}).")
