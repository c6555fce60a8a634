"""What commands print: progress and results on stdout, warnings on stderr, sizes one way.

The one home for console output (STYLE.md): modules call these instead of
``print`` so a test can capture them and a later change (colour, quiet mode)
happens in one place. Stdlib only.
"""
from __future__ import annotations

import sys


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
