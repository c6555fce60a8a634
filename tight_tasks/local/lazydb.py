"""The embedded DynamoDB for ``local.invoke``, started by the function's first DynamoDB call.

Starting moto and creating the tables costs about a second; most invocations
of a function that uses no table would pay it for nothing. :func:`lazy_dynamodb`
binds a listening socket on a free port at once (so ``AWS_ENDPOINT_URL_DYNAMODB``
can point at it before the function runs) and starts the engine only when a
client connects: the connection waits in the socket's backlog while the tables
are created on a private server, then the engine serves the socket.
"""
from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..console import warn


class LazyDynamoDB:
    """An endpoint whose engine starts on the first connection (see the module's docstring)."""

    def __init__(self, root: Path, host: str = "127.0.0.1"):
        from tight.dev.local_dynamodb import listen_url

        self.root = root
        self.sock = socket.create_server((host, 0))
        self.host = host
        self.endpoint = listen_url(host, self.sock.getsockname()[1])
        self.tables: list[str] = []
        self.started = threading.Event()
        self.error: str | None = None
        self._servers: list[Any] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._wait, name="tight-lazy-dynamodb", daemon=True)
        self._thread.start()

    def _wait(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.sock, selectors.EVENT_READ)
            while not self._stop.is_set():
                if selector.select(timeout=0.05):
                    break
            else:
                return
        try:
            self._start()
        except BaseException as exc:  # noqa: BLE001 - reported; the waiting client is refused, not hung
            self.error = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            self.sock.close()
        finally:
            self.started.set()

    def _start(self) -> None:
        from tight.dev.local_dynamodb import (
            EmbeddedServer,
            create_tables,
            wait_until_ready,
        )

        from ..dynamo.schema import load_models, model_specs

        specs = model_specs(load_models(self.root))
        private = EmbeddedServer("127.0.0.1", 0)  # the tables first, where nobody else calls
        self._servers.append(private)
        wait_until_ready(private.start())
        self.tables = create_tables(private.endpoint, specs)
        public = EmbeddedServer(self.host, self.sock.getsockname()[1], fd=self.sock.fileno())
        self._servers.append(public)
        public.start()  # shares the process's moto backend, tables included
        warn(f"Started the embedded DynamoDB at {self.endpoint} on first use "
             f"(tables: {', '.join(self.tables) or 'none'}).")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        for server in reversed(self._servers):
            server.stop()
        self.sock.close()


@contextlib.contextmanager
def lazy_dynamodb(root: Path, host: str = "127.0.0.1") -> Iterator[LazyDynamoDB]:
    """A :class:`LazyDynamoDB` for the block; whatever started is stopped when it exits."""
    db = LazyDynamoDB(root, host)
    try:
        yield db
    finally:
        db.stop()
