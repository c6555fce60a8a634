"""``python -m tight_tasks`` and the ``tight`` command.

Only the standard library is imported before :func:`main` runs. While invoke
and the tasks are imported, Ctrl-C ends the command at once with one line and
exit code 130 (a KeyboardInterrupt raised inside an import can surface as a
traceback, or be swallowed); from then on the Program turns it into the same
line (:mod:`tight_tasks.program`).
"""
import os
import signal
import sys

INTERRUPTED = "tight: interrupted (Ctrl-C)."


def _interrupted(signum=None, frame=None) -> None:
    try:
        sys.stderr.write(INTERRUPTED + "\n")
        sys.stderr.flush()
    finally:
        os._exit(130)  # nothing has been written yet: leave without unwinding half-done imports


def main() -> None:
    previous = signal.signal(signal.SIGINT, _interrupted)
    try:
        from .program import main as run
    except KeyboardInterrupt:
        _interrupted()
    signal.signal(signal.SIGINT, previous)
    run()


if __name__ == "__main__":
    main()
