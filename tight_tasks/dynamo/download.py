"""Streamed downloads with a progress bar, checksum files, and archives that cannot escape.

``requests`` is imported inside :func:`download`; nothing heavy at import time.
"""
from __future__ import annotations

import hashlib
import sys
import tarfile
import time
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO

from ..console import human_size

CHUNK = 256 * 1024


class DownloadError(Exception):
    """A failed download, checksum or extraction; the message is one line for the user."""


def human_time(seconds: float) -> str:
    seconds = round(seconds)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class Progress:
    """Bytes, rate and ETA: a redrawn bar on a terminal, a plain line every 10 % otherwise."""

    def __init__(self, total: int | None, label: str = "Downloading", stream: IO[str] | None = None,
                 tty: bool | None = None, clock=time.monotonic):
        self.total = total if total and total > 0 else None
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.clock = clock
        self.start = clock()
        self.done = 0
        self._last_draw = 0.0
        self._next_step = 1  # next tenth (plain mode)
        self._next_time = self.start + 5.0  # plain mode without a total

    def rate(self) -> float:
        elapsed = self.clock() - self.start
        return self.done / elapsed if elapsed > 0 else 0.0

    def status(self) -> str:
        rate = self.rate()
        parts = [f"{self.label} {human_size(self.done)}"]
        if self.total:
            parts[0] += f" / {human_size(self.total)} ({100 * self.done // self.total}%)"
        parts.append(f"{human_size(rate)}/s")
        if self.total and rate > 0:
            parts.append(f"ETA {human_time(max(self.total - self.done, 0) / rate)}")
        return "  ".join(parts)

    def bar(self, width: int = 24) -> str:
        if not self.total:
            return ""
        filled = min(width, width * self.done // self.total)
        return "[" + "#" * filled + "-" * (width - filled) + "] "

    def update(self, count: int) -> None:
        self.done += count
        now = self.clock()
        if self.tty:
            if now - self._last_draw >= 0.1:
                self._last_draw = now
                self.stream.write("\r" + self.bar() + self.status() + "\x1b[K")
                self.stream.flush()
        elif self.total:
            # One line per tenth reached, however many tenths one chunk crossed; none at 100 %
            # (finish() says it), so a file that arrives in one chunk prints no progress line.
            tenth = min(9, self.done * 10 // self.total)
            if tenth >= self._next_step:
                self._next_step = tenth + 1
                if self.done < self.total:
                    self.stream.write(self.status() + "\n")
                    self.stream.flush()
        elif now >= self._next_time:
            self._next_time = now + 5.0
            self.stream.write(self.status() + "\n")
            self.stream.flush()

    def finish(self) -> None:
        elapsed = max(self.clock() - self.start, 1e-9)
        line = (f"{self.label} done: {human_size(self.done)} in {elapsed:.1f} s "
                f"({human_size(self.done / elapsed)}/s)")
        if self.tty:
            self.stream.write("\r" + line + "\x1b[K\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _session():
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = "tight-cli"
    return session


def fetch_text(url: str, timeout: float = 20.0) -> str:
    """GET a small text file (a checksum); :class:`DownloadError` on any failure."""
    import requests

    try:
        response = _session().get(url, timeout=timeout)
    except requests.RequestException as exc:
        raise DownloadError(f"cannot fetch {url}: {_reason(exc)}") from None
    if response.status_code != 200:
        raise DownloadError(f"cannot fetch {url}: HTTP {response.status_code} {response.reason}")
    return response.text


_NETWORK_HINT = "check the network (or HTTPS_PROXY), or pass --url to a reachable copy"


def _reason(exc: BaseException) -> str:
    """A short human reason; for network failures what went wrong and what to try."""
    import requests

    text = str(exc)
    if _read_timeout(exc):
        return f"the server stopped sending data (read timeout); {_NETWORK_HINT}"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"the server did not answer in time; {_NETWORK_HINT}"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS verification failed; {_NETWORK_HINT}"
    if isinstance(exc, requests.exceptions.ConnectionError):
        if "NameResolution" in text or "resolve" in text or "Name or service not known" in text:
            return f"cannot resolve the host name; {_NETWORK_HINT}"
        if "refused" in text.lower():
            return f"the connection was refused; {_NETWORK_HINT}"
        return f"cannot connect; {_NETWORK_HINT}"
    lines = text.strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:200]}" if lines else type(exc).__name__


def _read_timeout(exc: BaseException) -> bool:
    """True for a read timeout, also the one requests reports as a ConnectionError while streaming."""
    import requests
    from urllib3.exceptions import ReadTimeoutError

    if isinstance(exc, requests.exceptions.ReadTimeout):
        return True
    return isinstance(exc, requests.exceptions.ConnectionError) and any(
        isinstance(arg, ReadTimeoutError) for arg in exc.args)


def _received(response, progress: Progress | None) -> int:
    """Bytes that arrived, also those of a chunk cut short (``requests`` drops them)."""
    counted = progress.done if progress is not None else 0
    try:
        return max(counted, int(response.raw.tell()))
    except (AttributeError, TypeError, ValueError, OSError):
        return counted


def parse_sha256(text: str, url: str) -> str:
    """The hex digest of a ``.sha256`` file (``<hex>  <file name>`` or just ``<hex>``)."""
    token = text.strip().split()[0].lower() if text.strip() else ""
    if len(token) != 64 or any(c not in "0123456789abcdef" for c in token):
        raise DownloadError(f"{url} does not hold a SHA-256 checksum")
    return token


def download(url: str, target: Path, progress_stream: IO[str] | None = None, tty: bool | None = None,
             timeout: tuple[float, float] = (15, 60)) -> str:
    """Stream ``url`` into ``target``; return its SHA-256. Truncation, stalls and HTTP errors raise.

    ``timeout`` is (connect, read) in seconds: a read timeout is the longest
    silence tolerated while the body streams.
    """
    import requests

    digest = hashlib.sha256()
    progress: Progress | None = None
    total: int | None = None
    response = None
    try:
        with _session().get(url, stream=True, timeout=timeout) as response:
            if response.status_code != 200:
                raise DownloadError(f"cannot download {url}: HTTP {response.status_code} {response.reason}")
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            progress = Progress(total, "Downloading", stream=progress_stream, tty=tty)
            with open(target, "wb") as handle:
                for chunk in response.iter_content(CHUNK):
                    handle.write(chunk)
                    digest.update(chunk)
                    progress.update(len(chunk))
            progress.finish()
    except requests.RequestException as exc:
        if response is None or progress is None:  # no answer yet
            raise DownloadError(f"download of {url} failed: {_reason(exc)}") from None
        of = f" of {total}" if total is not None else ""
        got = _received(response, progress)
        if _read_timeout(exc):
            raise DownloadError(f"download of {url} stalled: nothing arrived for {timeout[1]:g} s (read timeout) "
                                f"after {got}{of} bytes; {_NETWORK_HINT}") from None
        if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)):
            raise DownloadError(f"download of {url} is truncated: the connection closed after {got}{of} bytes") \
                from None
        raise DownloadError(f"download of {url} failed after {got}{of} bytes: {_reason(exc)}") from None
    if progress is None or (total is not None and progress.done != total):
        raise DownloadError(f"download of {url} is truncated: got {progress.done} of {total} bytes")
    return digest.hexdigest()


# -- archives ------------------------------------------------------------------


def _safe_name(name: str) -> bool:
    """A relative member name that stays inside; ``.`` and ``./x`` (``tar -C dir .``) are fine."""
    path = PurePosixPath(name.replace("\\", "/"))
    if not name or path.is_absolute() or ".." in path.parts:
        return False
    return not path.parts or ":" not in path.parts[0]


def extract(archive: Path, destination: Path) -> None:
    """Unpack a .tar(.gz) or .zip into ``destination``; refuse members that would land outside it."""
    destination.mkdir(parents=True, exist_ok=True)
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    if not _safe_name(info.filename):
                        raise DownloadError(f"archive member {info.filename!r} would be written outside "
                                            "the install directory; refusing the archive")
                bad = zf.testzip()
                if bad is not None:
                    raise DownloadError(f"archive member {bad!r} is corrupt")
                zf.extractall(destination)
            return
        with tarfile.open(archive, "r:*") as tf:
            members = tf.getmembers()
            for member in members:
                if not _safe_name(member.name):
                    raise DownloadError(f"archive member {member.name!r} would be written outside "
                                        "the install directory; refusing the archive")
                if member.issym() or member.islnk():
                    target = PurePosixPath(member.name).parent / member.linkname if member.issym() \
                        else PurePosixPath(member.linkname)
                    if not _safe_name(str(target)) or PurePosixPath(member.linkname).is_absolute():
                        raise DownloadError(f"archive link {member.name!r} -> {member.linkname!r} points "
                                            "outside the install directory; refusing the archive")
                elif not (member.isfile() or member.isdir()):
                    raise DownloadError(f"archive member {member.name!r} is not a regular file")
            if hasattr(tarfile, "data_filter"):
                tf.extractall(destination, members=members, filter="data")
            else:  # pragma: no cover - Python without extraction filters
                tf.extractall(destination, members=members)
    except DownloadError:
        raise
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise DownloadError(f"the archive is corrupt or truncated ({_reason(exc)})") from None
