"""Record/playback of AWS calls (placebo) and response expectations for app tests.

A test calls ``playback(__file__, session, test_name)`` first. In a normal run the
AWS calls made through ``session`` are answered from the tapes in
``<test dir>/placebos/<test name>/`` (offline: no credentials, no database). In a
recording run (``pytest --tight-record`` or ``TIGHT_RECORD=1``) the calls really
happen and the tapes are written afresh. ``record(...)`` records whatever the run
mode. Either way the tape is detached when the test ends (the pytest plugin does
it), so nothing leaks into the next test.

placebo and yaml are imported only when these functions are called.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

TAPES_DIR = "placebos"
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
_TAPE_NAME = re.compile(r"^[\w-]+\.\w+_\d+\.json$")

_run_mode: str | None = None  # set by the pytest plugin for --tight-record
_active: list[tuple[Any, Any]] = []  # (pill, session) attached during the current test
_replayed: list[Path] = []  # tape dirs and expectation files the current test played back


def set_record_mode(enabled: bool | None) -> None:
    """Force record mode for this run (True), playback (False), or follow TIGHT_RECORD (None)."""
    global _run_mode
    _run_mode = None if enabled is None else ("record" if enabled else "playback")


def is_recording() -> bool:
    """True when this run records tapes and expectations instead of replaying them."""
    if _run_mode is not None:
        return _run_mode == "record"
    return os.environ.get("TIGHT_RECORD", "").strip().lower() in TRUE_WORDS


def tape_dir(test_file: str | os.PathLike, name: str) -> Path:
    """``<dir of test_file>/placebos/<name>``, created when missing."""
    if not re.fullmatch(r"[\w.\-\[\]]+", name) or name in (".", ".."):
        raise ValueError(f"invalid tape name {name!r}: use the test function's name")
    path = Path(os.path.realpath(test_file)).parent / TAPES_DIR / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def _known_clients(session) -> list:
    """DynamoDB clients made from ``session`` before the tape was attached."""
    from tight.providers.aws.clients import dynamo_db

    if dynamo_db._session is session and dynamo_db._engine is not None:
        return [dynamo_db._engine.dynamo.client]
    return []


def _attach(test_file, session, name: str, mode: str):
    import placebo

    stop()  # one tape at a time
    path = tape_dir(test_file, name)
    if mode == "record":
        for old in path.iterdir():
            if _TAPE_NAME.match(old.name):
                old.unlink()
    pill = placebo.attach(session, data_path=str(path))
    for client in _known_clients(session):
        pill.add_client(client)
    _active.append((pill, session))
    if mode == "record":
        pill.record()
    else:
        pill.playback()
        _replayed.append(path)
    return pill


def playback(test_file: str | os.PathLike, session, name: str):
    """Answer ``session``'s AWS calls from the test's tapes (records them in a recording run)."""
    return _attach(test_file, session, name, "record" if is_recording() else "playback")


def record(test_file: str | os.PathLike, session, name: str):
    """Make ``session``'s AWS calls for real and write them to the test's tapes."""
    return _attach(test_file, session, name, "record")


def stop() -> None:
    """Detach every tape attached since the last stop (the plugin calls this after each test)."""
    _replayed.clear()
    while _active:
        pill, session = _active.pop()
        pill.stop()
        session.events.unregister("creating-client-class", pill._create_client)


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def expected_response_body(here: str | os.PathLike, relpath: str, actual_response: dict) -> Any:
    """The expected (JSON-decoded) body for ``actual_response``.

    Playback: read ``here/relpath`` (YAML with ``body``, ``headers``, ``statusCode``;
    ``body`` a JSON string) and return its decoded body. Recording: write
    ``actual_response`` there and return its decoded body.
    """
    import yaml

    path = Path(here) / relpath
    if is_recording():
        _write_atomic(path, yaml.safe_dump(dict(actual_response), default_flow_style=None, sort_keys=True))
        body = actual_response.get("body")
    else:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no expectation recorded; run pytest --tight-record to write it")
        _replayed.append(path)
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping with body, headers and statusCode")
        body = data.get("body")
    if body is None or body == "":
        return None
    return json.loads(body) if isinstance(body, (str, bytes)) else body


def failure_hint(test_id: str, root: str | os.PathLike | None = None) -> str | None:
    """For a failed test that played back tapes or an expectation: what it compared with, and the
    command that records them again (None when it played nothing back)."""
    if not _replayed:
        return None

    def shown(path: Path) -> str:
        try:
            return str(path.relative_to(root)) if root else str(path)
        except ValueError:
            return str(path)

    what = ", ".join(dict.fromkeys(shown(p) for p in _replayed))
    return (f"This test played back {what}. If the app's new behaviour is right, record them again with "
            f"`pytest --tight-record {test_id}` (or TIGHT_RECORD=1), review the diff and commit it.")
