"""Processes and signals: stopping on Ctrl-C/SIGTERM, children that die with tight (locks: lockfile.py).

Only the stdlib is imported.
"""
from __future__ import annotations

import contextlib
import signal
import sys
import time
from collections.abc import Iterator


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
