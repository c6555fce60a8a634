"""One command at a time: an advisory lock file holding the owner's pid.

The lock is an ``flock`` on the file, so the kernel releases it when its
process dies: a lock file left by a killed command never blocks the next one.
The file is removed when the lock is released. :func:`hold` waits for the
holder (pip.install); :func:`exclusive` refuses at once with
:class:`LockHeld` (rundb: a second engine must not touch the first one's data).

The file holds ``{"pid": N, ...notes}`` as JSON (a plain pid is read too).
Only the standard library is imported here.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .config import fail


class LockHeld(Exception):
    """Another live process holds the lock; ``holder`` is what it wrote (``pid`` and its notes)."""

    def __init__(self, path: Path, holder: dict[str, Any]):
        self.path = path
        self.holder = holder
        super().__init__(f"{path} is held by pid {holder.get('pid', '?')}")


def _holder(fd: int) -> dict[str, Any]:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 4096).decode("utf-8", "replace").strip()
    except OSError:
        return {}
    if text.isdigit():
        return {"pid": int(text)}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _owner(fd: int) -> str:
    pid = _holder(fd).get("pid")
    return str(pid) if isinstance(pid, int) else "unknown"


def _acquire(path: Path, on_busy) -> int:
    """An fd of ``path`` holding its lock; ``on_busy(fd)`` runs when another process holds it (it may raise)."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                on_busy(fd)
                fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                raise
        # The previous holder may have removed the file between our open and
        # our lock: then we hold a lock on a file nobody else can see.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


@contextlib.contextmanager
def _held(path: Path, fd: int, notes: dict[str, Any]) -> Iterator[None]:
    try:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, (json.dumps({"pid": os.getpid(), **notes}) + "\n").encode("utf-8"))
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)


@contextlib.contextmanager
def hold(path: Path, what: str, echo=print):
    """Hold the lock at ``path`` for the ``with`` block; wait (saying so) while another process holds it."""
    path = Path(path)

    def busy(fd: int) -> None:
        echo(f"Another {what} is running in this app (pid {_owner(fd)}): waiting for it to finish...")

    try:
        fd = _acquire(path, busy)
    except OSError as exc:
        raise fail(f"Cannot create the lock file {path}: {exc.strerror or exc}.") from None
    with _held(path, fd, {}):
        yield


@contextlib.contextmanager
def exclusive(path: str | os.PathLike, **notes: Any) -> Iterator[Path]:
    """Hold the lock at ``path`` for the ``with`` block, or raise :class:`LockHeld` at once if a live
    process holds it. ``notes`` (JSON values) are written beside the pid for that process's message.
    ``OSError`` when the file cannot be created."""
    path = Path(path)

    def busy(fd: int) -> None:
        raise LockHeld(path, _holder(fd))

    fd = _acquire(path, busy)
    with _held(path, fd, notes):
        yield path
