"""What commands print: progress and results on stdout, warnings on stderr, sizes one way.

The one home for console output (STYLE.md): modules call these instead of
``print`` so a test can capture them and a later change (colour, quiet mode)
happens in one place. Stdlib only.
"""
from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


def say(message: str = "") -> None:
    """A line of normal output (stdout), flushed so it interleaves with child processes."""
    print(message, flush=True)


def warn(message: str) -> None:
    """A warning or progress line (stderr): it never mixes into output a script may parse."""
    print(message, file=sys.stderr, flush=True)


def ask(question: str) -> bool:
    """Ask a yes/no question on the terminal; only ``y``/``yes`` agrees (end of input declines)."""
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def human_size(count: float) -> str:
    """``532 B``, ``1.5 KiB``, ``12.0 MiB``, ``1.2 GiB`` (powers of 1024)."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(count) < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"  # pragma: no cover


@contextlib.contextmanager
def own_streams() -> Iterator[None]:
    """For the block, stdout and stderr write to copies of their descriptors that this process owns.

    A long-running server (``local.serve``) runs user code that may close descriptor 1 or 2; the
    next socket it accepts would then get that number, and every line printed would go to a
    client. Through the copies, output still reaches the terminal and never a socket.
    """
    saved = sys.stdout, sys.stderr
    copies = []
    try:
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            try:
                fd = stream.fileno()
            except (AttributeError, OSError, ValueError):  # captured or closed: nothing to protect
                continue
            copy = open(os.dup(fd), "w", buffering=1, encoding=stream.encoding or "utf-8",  # noqa: SIM115
                        errors=getattr(stream, "errors", None) or "backslashreplace")
            copies.append(copy)
            stream.flush()
            setattr(sys, name, copy)
        yield
    finally:
        sys.stdout, sys.stderr = saved
        for copy in copies:
            with contextlib.suppress(OSError):
                copy.close()
