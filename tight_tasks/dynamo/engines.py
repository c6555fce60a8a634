"""The local DynamoDB engines of ``tight dynamo.rundb`` and the checks made before one starts.

``embedded``
    moto's DynamoDB server in a thread of this process
    (:class:`tight.dev.local_dynamodb.EmbeddedServer`): no Java, no Docker,
    data in memory (saved to a file on stop with ``--keep``: :mod:`.snapshot`).
``local``
    DynamoDB Local (``dynamo_db/DynamoDBLocal.jar``, installed by
    ``installdb``) as a Java 17+ child process with ``-sharedDb -dbPath``.
``auto``
    ``local`` when the jar is installed and Java 17+ is found, else ``embedded``.
"""
from __future__ import annotations

import errno
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

from ..config import fail, usage_error

ENGINES = ("auto", "embedded", "local")
JAR = "DynamoDBLocal.jar"
LIB = "DynamoDBLocal_lib"
SHARED_DB = "shared-local-instance.db"
MIN_JAVA = 17


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


# -- the address -------------------------------------------------------------------


def address_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on now (one line), or None when it can."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        return (f"--host {host}: the host name does not resolve ({exc.strerror}); "
                "give an address of this machine such as 127.0.0.1 or 0.0.0.0.")
    except UnicodeError:
        return f"--host {host!r} is not a host name; give an address such as 127.0.0.1 or 0.0.0.0."
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            return _bind_error(host, port, exc)
    return None


def _bind_error(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"Port {port} on {host} is already in use: stop what is listening there or pass --port N."
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (f"Port {port} on {host}: permission denied (ports below 1024 need root or "
                "CAP_NET_BIND_SERVICE); pass --port N with N >= 1024, e.g. 8000.")
    if exc.errno == errno.EADDRNOTAVAIL:
        return (f"--host {host} is not an address of this machine; use 127.0.0.1 (this machine only) "
                "or 0.0.0.0 (every interface).")
    return f"Cannot listen on {host} port {port}: {exc.strerror or exc}."


# -- engines -----------------------------------------------------------------------


class EmbeddedEngine:
    name = "embedded"

    def __init__(self, host: str, port: int, data_file: Path | None = None):
        from tight.dev.local_dynamodb import EmbeddedServer

        self.server = EmbeddedServer(host, port)
        self.endpoint = self.server.endpoint
        self.data_file = data_file  # --keep: the snapshot loaded on start and saved on stop
        self.loaded: tuple[int, int] | None = None  # (tables, items) loaded from it

    def start(self) -> None:
        self.endpoint = self.server.start()

    def alive(self) -> bool:
        return True

    def stop(self) -> None:
        self.server.stop()

    def banner(self) -> list[str]:
        import importlib.metadata

        try:
            moto_version = importlib.metadata.version("moto")
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover
            moto_version = "?"
        if self.data_file is None:
            data = "none (data lives in memory; --keep saves it to a file on stop)"
        elif self.loaded is None:
            data = f"{self.data_file} (none yet: written when rundb stops)"
        else:
            tables, items = self.loaded
            data = (f"{self.data_file} (loaded {tables} table{'s' if tables != 1 else ''}, {items} "
                    f"item{'s' if items != 1 else ''}; saved again when rundb stops)")
        return [
            "Initializing DynamoDB (embedded engine) with the following configuration:",
            f"Engine:     embedded (moto {moto_version}, in this process; no Java needed)",
            f"Endpoint:   {self.endpoint}",
            f"Port:       {self.server.port}",
            f"InMemory:   {'true' if self.data_file is None else 'true (saved on stop: --keep)'}",
            f"DbPath:     {data}",
            "SharedDb:   true (one database for every client, region and access key)",
        ]


class LocalEngine:
    name = "local"

    def __init__(self, host: str, port: int, directory: Path, java: str, keep: bool = False):
        self.host, self.port, self.directory, self.java, self.keep = host, port, directory, java, keep
        from tight.dev.local_dynamodb import listen_url

        self.endpoint = listen_url(host, port)
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [self.java, f"-Djava.library.path={self.directory / LIB}", "-jar", str(self.directory / JAR),
                "-sharedDb", "-dbPath", str(self.directory), "-port", str(self.port)]

    def start(self) -> None:
        from ..process import die_with_parent

        self.process = subprocess.Popen(self.command(), cwd=self.directory, stdin=subprocess.DEVNULL,
                                        start_new_session=True,
                                        preexec_fn=die_with_parent())  # noqa: PLW1509 - only calls prctl

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

    def banner(self) -> list[str]:
        return [
            "Engine:     local (DynamoDB Local, Java)",
            f"Endpoint:   {self.endpoint}",
            f"Port:       {self.port}",
            "InMemory:   false",
            f"DbPath:     {self.directory / SHARED_DB}" + (" (kept from the last run)" if self.keep else ""),
            "SharedDb:   true (one database for every client, region and access key)",
            "Host:       DynamoDB Local has no bind-address option; --host only sets the endpoint tight uses",
        ]


def choose_engine(engine: str, root: Path, directory: str | os.PathLike, host: str, port: int,
                  keep: bool = False):
    """The engine object for ``--engine`` (auto: local when the jar and Java 17+ are there)."""
    from .snapshot import FILE

    if engine not in ENGINES:
        raise usage_error(f"--engine {engine!r} is not one of {', '.join(ENGINES)}.")
    dbdir = (root / directory).absolute()
    embedded = EmbeddedEngine(host, port, dbdir / FILE if keep else None)
    if engine == "embedded":
        return embedded
    has_jar = (dbdir / JAR).is_file()
    if engine == "auto" and not has_jar:
        return embedded
    java, major, line = java_version()
    if engine == "auto":
        if java is None or major is None or major < MIN_JAVA:
            return embedded
        return LocalEngine(host, port, dbdir, java, keep)
    if not has_jar:
        raise fail(f"DynamoDB Local is not installed in {dbdir}: run `tight dynamo.installdb`, "
                   "or use --engine embedded (no Java needed).")
    if java is None or major is None or major < MIN_JAVA:
        raise fail(f"--engine local needs Java {MIN_JAVA}+ ({line}): install it, or use --engine embedded.")
    return LocalEngine(host, port, dbdir, java, keep)
