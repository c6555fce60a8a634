"""Processes and signals: stopping on Ctrl-C/SIGTERM, children that die with tight, one-at-a-time locks.

Only the stdlib is imported.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class StopRequested(BaseException):  # not an Exception: user code (model imports) must not swallow it
    """Raised in the main thread by SIGINT/SIGTERM inside :func:`stop_on_signals`; ``str()`` is the signal name."""


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`StopRequested` in the main thread while the block runs."""

    def handler(signum, frame):
        raise StopRequested(signal.Signals(signum).name)

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


def ignore_signals() -> None:
    """Ignore further SIGINT/SIGTERM (while stopping cleanly: a second Ctrl-C must not cut a save short)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError):
            signal.signal(sig, signal.SIG_IGN)


def wait_for_stop() -> None:
    """Sleep until a signal raises :class:`StopRequested` (inside :func:`stop_on_signals`)."""
    while True:
        time.sleep(3600)


def die_with_parent():
    """On Linux, a ``preexec_fn`` asking the kernel to SIGTERM the child if tight dies (no orphans).

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


# -- one process at a time ---------------------------------------------------------


class LockHeld(Exception):
    """Another live process holds the lock; ``holder`` is what it wrote (``pid`` and its own notes)."""

    def __init__(self, path: Path, holder: dict[str, Any]):
        self.path = path
        self.holder = holder
        super().__init__(f"{path} is held by pid {holder.get('pid', '?')}")


def _try_lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _read_holder(fd: int) -> dict[str, Any]:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 4096).decode("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@contextlib.contextmanager
def exclusive_lock(path: str | os.PathLike, **notes: Any) -> Iterator[Path]:
    """Hold ``path`` as a lock file while the block runs; :class:`LockHeld` if a live process holds it.

    The operating system releases the lock when its process dies (even by
    SIGKILL), so a lock file left behind never blocks anyone: only a running
    holder does. The file records ``{"pid": ..., **notes}`` for the message a
    second process prints, and is removed on exit.
    """
    path = Path(path)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(fd):
            holder = _read_holder(fd)
            os.close(fd)
            raise LockHeld(path, holder)
        try:  # the holder may have removed the file between our open and our lock: lock the current one
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps({"pid": os.getpid(), **notes}).encode("utf-8"))
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)
