"""``tight local.serve``: werkzeug's HTTP server in front of :class:`~tight_tasks.local.runner.LocalApp`.

Only glue lives here: WSGI environ -> :class:`tight.dev.gateway.Request`, the
:class:`~tight.dev.gateway.HttpResponse` back to WSGI, one access-log line per
request, the banner, and stopping cleanly on Ctrl-C/SIGTERM.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wsgi import get_input_stream

from tight.dev.env import app_name
from tight.dev.gateway import MAX_REQUEST_BYTES, HttpResponse, Request, too_large

from ..config import fail
from ..console import own_streams, say, warn
from .environment import app_environment
from .hosts import local_address, network_notice, url
from .runner import AppError, LocalApp, Watcher

RAW_HEADERS = "tight.raw_headers"


class _Handler(WSGIRequestHandler):
    """werkzeug's request parsing and environ, with HTTP/1.1 keep-alive.

    werkzeug's own ``run_wsgi`` closes every connection (and waits for the
    client to hang up); API Gateway keeps connections open, and so does this
    handler: the application always answers one byte string with its
    Content-Length (see :func:`wsgi_app`), written here in one piece.
    """

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def make_environ(self):
        environ = super().make_environ()
        environ[RAW_HEADERS] = tuple((k, v.replace("\r\n", "")) for k, v in self.headers.items())
        return environ

    def run_wsgi(self) -> None:
        problem = framing_problem(self.headers)
        if problem:  # which length is the body's? Guessing hangs (or smuggles a request): refuse at once
            self._refuse(problem)
            return
        environ = self.make_environ()
        answer: list = []

        def start_response(status, headers, exc_info=None):
            answer[:] = [status, headers]
            return lambda data: None  # the application returns its body instead

        try:
            body = b"".join(self.server.app(environ, start_response))
            status, headers = answer
        except Exception:  # noqa: BLE001 - never kill the server over one request
            import traceback

            traceback.print_exc()
            status, headers, body = "500 Internal Server Error", [("Content-Length", "0")], b""
            self.close_connection = True
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason)
        for key, value in headers:
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
            self._drain(environ)
        self.end_headers()
        self.wfile.write(body)

    def _refuse(self, problem: str) -> None:
        """Answer 400 without reading the body, close the connection, log the reason in one line."""
        body = b'{"message": "Bad Request"}'
        self.close_connection = True
        self.send_response(400, "Bad Request")
        for key, value in (("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                           ("Connection", "close")):
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        request = f"{printable(self.command or '-')} {printable(self.path or '/')}"
        warn(f"400 for {request}: {problem}")
        say(f"{request} 400 0.0 ms")
        with contextlib.suppress(OSError):  # let the client read the answer before the connection closes
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(0.5)
            while self.connection.recv(65536):
                pass

    def _drain(self, environ) -> None:
        """Read a refused body (up to 64 MiB) so the client sees the answer, not a reset connection."""
        left = min(_content_length(environ), 64 * 1024 * 1024)
        self.connection.settimeout(2)
        try:
            while left > 0:
                data = self.rfile.read(min(left, 1024 * 1024))
                if not data:
                    break
                left -= len(data)
        except OSError:
            pass

    def log_request(self, code="-", size="-") -> None:
        pass


def framing_problem(headers) -> str | None:
    """Why the request's Content-Length cannot be trusted (several different values, not a number), or None."""
    values = [value.strip() for value in headers.get_all("Content-Length") or []]
    if len(set(values)) > 1:
        return f"{len(values)} different Content-Length headers ({', '.join(printable(v, 20) for v in values)})"
    if values and not (values[0].isascii() and values[0].isdigit()):
        return f"Content-Length {printable(values[0], 40)!r} is not a number of bytes"
    return None


def _content_length(environ: dict) -> int:
    try:
        return int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def to_request(environ: dict, read_body: bool = True) -> Request:
    """The gateway's view of one WSGI request."""
    path = environ.get("PATH_INFO", "") or "/"
    path = path.encode("latin-1").decode("utf-8", "replace")
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or path
    headers = environ.get(RAW_HEADERS)
    if headers is None:  # another WSGI server: rebuild from the environ
        headers = tuple((k[5:].replace("_", "-").title(), v) for k, v in environ.items() if k.startswith("HTTP_"))
        headers += tuple((k.replace("_", "-").title(), environ[k]) for k in ("CONTENT_TYPE", "CONTENT_LENGTH")
                         if environ.get(k))
    return Request(
        method=environ.get("REQUEST_METHOD", "GET").upper(),
        path=path,
        query=environ.get("QUERY_STRING", ""),
        headers=headers,
        body=get_input_stream(environ, max_content_length=MAX_REQUEST_BYTES).read() if read_body else b"",
        source_ip=environ.get("REMOTE_ADDR") or "127.0.0.1",
        protocol=environ.get("SERVER_PROTOCOL") or "HTTP/1.1",
        raw_path=raw.split("?", 1)[0],
    )


def bad_body() -> HttpResponse:
    return HttpResponse(400, [("Content-Type", "application/json")], b'{"message": "Malformed request body"}',
                        "the request body is malformed (bad chunked encoding, or shorter than its Content-Length)")


def printable(text: str, limit: int = 200) -> str:
    """``text`` for one console line: control characters escaped (no terminal escapes), at most ``limit``."""
    if text.isprintable() and len(text) <= limit:
        return text
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:limit])
    return shown + (f"...({len(text):,} chars)" if len(text) > limit else "")


def wsgi_app(app: LocalApp):
    """A WSGI application answering through ``app``, logging one line per request."""
    from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

    def application(environ, start_response):
        started = time.perf_counter()
        function = None
        try:
            size = _content_length(environ)
            if size > MAX_REQUEST_BYTES:
                raise RequestEntityTooLarge
            request = to_request(environ)
        except RequestEntityTooLarge:  # refused before the body is read (or once a chunked one is too long)
            request = to_request(environ, read_body=False)
            response = too_large(max(_content_length(environ), MAX_REQUEST_BYTES + 1))
        except BadRequest:  # a malformed chunked body or one cut short: what API Gateway answers 400 to
            request = to_request(environ, read_body=False)
            response = bad_body()
        else:
            response, function = app.handle(request)
        elapsed = (time.perf_counter() - started) * 1000
        if response.error:
            warn(f"{response.status} for {printable(request.method)} {printable(request.path)}: {response.error}")
        for note in response.notes:
            warn(f"Note ({function}): {note}")
        status = f"{response.status} {HTTP_STATUS_CODES.get(response.status, 'Unknown')}"
        headers = list(response.headers)
        if not any(k.lower() == "content-length" for k, _ in headers):
            headers.append(("Content-Length", str(len(response.body))))
        if response.status == 413 or (response.status == 400 and function is None):
            headers.append(("Connection", "close"))  # the unread body must not be taken for the next request
        start_response(status, headers)
        say(f"{printable(request.method)} {printable(request.path)} {response.status} {elapsed:.1f} ms")
        return [] if request.method == "HEAD" else [response.body]

    return application


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (one-line error when the port is taken)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        from ..dynamo.engines import address_problem

        problem = address_problem(host, port)  # says which: a busy port, a privileged one, a foreign host...
        raise fail(problem or f"Cannot listen on {host}:{port}: {exc.strerror or exc}.") from None
    return sock


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: whoever started us stops us
        previous = _UNSET
    try:
        yield
    finally:
        if previous is not _UNSET:
            signal.signal(signal.SIGTERM, previous)


_UNSET = object()


def banner(app: LocalApp, base: str, served: frozenset[str] = frozenset()) -> list[str]:
    """The routes, then the other functions (those in ``served`` are described by the event sources)."""
    lines = []
    width = max((len(r.path) for r in app.table.routes), default=0) + len(base)
    for route in app.table.routes:
        methods = ", ".join(app.methods(route.function)) or "(no handlers)"
        guarded = app.guard.describe(route.function) if app.guard else ""
        lines.append(f"  {base + route.path:<{width}}  {methods}  -> {route.function}"
                     + (f"  [auth: {guarded}]" if guarded else ""))
    verifier = app.guard.verifier if app.guard else None
    if verifier is not None:
        lines.append(f"  JWT: tokens of {verifier.issuer}, and `tight local.token` tokens (this app's local key: "
                     "accepted here only, never by AWS)")
    lines += [f"  Note: {note}" for note in (app.guard.notes if app.guard else [])]
    others = {name: fn["type"] for name, fn in app.settings.items()
              if fn["type"] != "lambda_proxy" and name not in served}
    if not lines and not others and not served:
        lines.append("  (no functions: add one with `tight generate.function NAME`)")
    for name, kind in sorted(others.items()):
        lines.append(f"  {name} ({kind}): not served over HTTP; try `tight local.invoke {name}`")
    return lines


def serve(root: Path, host: str, port: int, payload: str, db: bool = True, reload: bool = True,
          schedules: bool = True, visibility: int = 2) -> None:
    """Run until Ctrl-C/SIGTERM, then stop the server, the event sources and the database (exit 0)."""
    sock = bind(host, port)
    try:
        with _sigterm_as_interrupt(), own_streams():  # a handler closing fd 1 must not send the log to a client
            _serve(root, sock, host, payload, db, reload, (schedules, visibility))
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    say("Stopped.")


def _serve(root: Path, sock: socket.socket, host: str, payload: str, db: bool, reload: bool,
           events: tuple[bool, int] = (True, 2)) -> None:
    from . import dashboard, running

    with app_environment(root, db) as database:
        app = LocalApp(root, payload, os.environ.get("STAGE") or "local")
        try:
            app.start()
        except AppError as exc:
            raise fail(str(exc)) from None
        sources = running.start(app, database, *events)
        try:
            _run(app, sources, dashboard.wrap(wsgi_app(app), sources), root, sock, host, payload, reload, database)
        finally:
            sources.stop()


def _run(app: LocalApp, sources, application, root: Path, sock: socket.socket, host: str, payload: str,
         reload: bool, database) -> None:
    port = sock.getsockname()[1]
    server = make_server(host, port, application, threaded=True, request_handler=_Handler,
                         fd=sock.fileno())
    base = url(local_address(host), port)
    where = f"DynamoDB ({database['engine']}) at {database['endpoint']}" if database else \
        f"DynamoDB at {os.environ.get('AWS_ENDPOINT_URL_DYNAMODB') or 'AWS (--no-db)'}"
    say(f"Serving {app_name(root) or root.name} (payload {payload}, stage {app.stage}) with {where}")
    if database:
        say(f"Tables: {', '.join(database['tables']) or 'none'}")
    for line in banner(app, base, sources.served()) + sources.banner():
        say(line)
    say(f"Dashboard: {base}/_tight/")
    say(f"Listening on {base}{'' if reload else ' (no reload)'}")
    exposed = network_notice(host, port)
    if exposed:
        warn(exposed)
    say("Press Ctrl-C to stop.")
    watcher = Watcher(app) if reload else None
    if watcher:
        watcher.start()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        if watcher:
            watcher.stop()
        server.server_close()
