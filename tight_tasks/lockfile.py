"""One command at a time per app: an advisory lock file holding the owner's pid.

The lock is an ``flock`` on the file, so the kernel releases it when its
process dies: a lock file left by a killed command never blocks the next one.
The file is removed when the lock is released.

Only the standard library is imported here.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from .config import fail


def _owner(handle) -> str:
    handle.seek(0)
    text = handle.read(32).strip()
    return text if text.isdigit() else "unknown"


@contextlib.contextmanager
def hold(path: Path, what: str, echo=print):
    """Hold the lock at ``path`` for the ``with`` block; wait (saying so) while another process holds it."""
    path = Path(path)
    told = False
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise fail(f"Cannot create the lock file {path}: {exc.strerror or exc}.") from None
        handle = os.fdopen(fd, "r+", encoding="ascii", errors="replace")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not told:
                echo(f"Another {what} is running in this app (pid {_owner(handle)}): waiting for it to finish...")
                told = True
            fcntl.flock(fd, fcntl.LOCK_EX)
        # The previous holder may have removed the file between our open and
        # our lock: then we hold a lock on a file nobody else can see.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        handle.close()
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        handle.close()
