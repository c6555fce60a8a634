"""``tight dynamo.installdb``: download, verify and unpack DynamoDB Local.

The install directory is replaced through :func:`tight_tasks.files.replace_dir`:
only a directory that holds installdb's marker (:data:`MARKER`), an empty one
or a missing one; never ``app/``, the app, a repository or the user's files.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from ..config import fail, usage_error
from ..console import say, warn
from ..files import RefusedReplace, check_replaceable, replace_dir, staging_dir
from .snapshot import FILE as SNAPSHOT_FILE
from .snapshot import MARKER as RUNDB_MARKER

DOWNLOAD_BASE = "https://d1ni2b6xgvw0s0.cloudfront.net"
ARCHIVE = "dynamodb_local_latest.tar.gz"
JAR = "DynamoDBLocal.jar"
#: Written into every directory installdb creates; only such a directory is ever replaced.
MARKER = ".tight-install.json"
#: RUNDB_MARKER: a dynamo_db/ that `rundb --keep` created for its data; installdb may install into it.
#: Data files carried over into a new install: DynamoDB Local's databases and rundb's --keep snapshot.
DATA_FILES = ("*.db", SNAPSHOT_FILE)
WHAT = "the DynamoDB Local directory, from --dir or dynamo.dir in tight.yml"
HINT = (f"installdb replaces only a directory it created (one holding {MARKER}) or an empty one: "
        "pass --dir with a new directory, e.g. --dir dynamo_db")


def archive_url(version: str) -> str:
    if not re.fullmatch(r"v\d+(\.[0-9x]+)*", version or ""):
        raise usage_error(f"--version {version!r} is not a release line like v3.x or v2.x.")
    return f"{DOWNLOAD_BASE}/{version}/{ARCHIVE}"


def read_marker(directory: Path) -> dict[str, Any]:
    try:
        data = json.loads((directory / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def check_url(url: str) -> None:
    """Refuse what is not http(s); warn that a plain-HTTP checksum proves nothing about the sender."""
    if not url.startswith(("https://", "http://")):
        raise usage_error(f"--url {url!r} must be an http(s) URL.")
    if url.startswith("http://"):
        warn(f"Warning: {url} is plain HTTP: its checksum comes from the same origin, so it only proves the "
             "download is complete, not that it is genuine; use an https:// URL you trust.")


def check_directory(directory: Path, app_root: Path | None) -> None:
    """One-line refusal (nothing downloaded, nothing touched) unless installdb may replace ``directory``."""
    try:
        check_replaceable(directory, owner_marker=(MARKER, RUNDB_MARKER), app_root=app_root, what=WHAT, hint=HINT)
    except RefusedReplace as exc:
        raise fail(str(exc)) from None


def install_dynamodb_local(version: str = "v3.x", url: str | None = None, directory: str | os.PathLike = "dynamo_db",
                           force: bool = False, progress_stream=None, app_root: str | os.PathLike | None = None,
                           ) -> Path:
    """Download, verify (``URL.sha256``), unpack and swap DynamoDB Local into ``directory``.

    Any failure leaves an existing install untouched and no partial files.
    """
    from .download import DownloadError, fetch_text, parse_sha256

    label = None if url else version
    url = url or archive_url(version)
    directory = Path(directory).absolute()
    check_directory(directory, Path(app_root) if app_root is not None else None)
    check_url(url)
    checksum_url = url + ".sha256"
    installed = read_marker(directory)
    jar_present = (directory / JAR).is_file()
    untouched = " (the existing install is untouched)" if jar_present else ""

    try:
        expected = parse_sha256(fetch_text(checksum_url), checksum_url)
    except DownloadError as exc:
        if not force and jar_present and installed.get("url") == url:
            say(f"DynamoDB Local ({installed.get('version') or url}) is installed in {directory}; "
                f"could not check for a newer archive ({exc}).")
            _report_java()
            return directory
        raise fail(f"{exc}; nothing was installed{untouched}.") from None

    if not force and jar_present and installed.get("url") == url and installed.get("sha256") == expected:
        say(f"DynamoDB Local {installed.get('version') or ''} is already installed in {directory} "
            f"(sha256 {expected[:12]}…): nothing to do (--force downloads it again).".replace("  ", " "))
        _report_java()
        return directory

    try:
        _download_and_swap(url, expected, directory, {"url": url, "version": label, "sha256": expected},
                           app_root, progress_stream)
    except DownloadError as exc:
        raise fail(f"{exc}; nothing was installed{untouched}.") from None
    except RefusedReplace as exc:  # something took the directory's place during the download
        raise fail(f"{exc} Nothing was installed.") from None
    except KeyboardInterrupt:
        raise fail("Interrupted: nothing was installed.", code=130) from None
    except OSError as exc:
        raise fail(f"Cannot install into {directory}: {exc.strerror or exc}; check that you may write to it and "
                   f"to {directory.parent}; nothing was installed{untouched}.") from None
    say(f"Installed DynamoDB Local in {directory} (sha256 {expected[:12]}…).")
    _report_java()
    return directory


def _download_and_swap(url: str, expected: str, directory: Path, marker: dict[str, Any],
                       app_root: str | os.PathLike | None, progress_stream) -> None:
    """Build the new install in a staging directory beside ``directory``, then swap it in."""
    from .download import DownloadError, download, extract

    if directory.is_dir() and not os.access(directory, os.W_OK | os.X_OK):  # it could not be moved aside
        raise PermissionError(13, "Permission denied", str(directory))
    with staging_dir(directory) as staging:
        say(f"Downloading {url}")
        archive = staging / "archive"
        actual = download(url, archive, progress_stream=progress_stream)
        if actual != expected:
            raise DownloadError(f"checksum mismatch for {url}: expected {expected}, got {actual}")
        unpacked = staging / "unpacked"
        extract(archive, unpacked)
        if not (unpacked / JAR).is_file():
            raise DownloadError(f"the archive has no {JAR} at its top level; is {url} a DynamoDB Local archive?")
        if directory.is_dir() and not directory.is_symlink():  # keep the user's data files across a re-install
            for db in (path for pattern in DATA_FILES for path in directory.glob(pattern)):
                if db.is_file() and not db.is_symlink() and not (unpacked / db.name).exists():
                    shutil.copy2(db, unpacked / db.name)
        (unpacked / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        os.chmod(unpacked, 0o755)
        replace_dir(directory, unpacked, owner_marker=(MARKER, RUNDB_MARKER), app_root=app_root, what=WHAT,
                    hint=HINT)


def _report_java() -> None:
    from .engines import java_warning

    message = java_warning()
    if message:
        warn(message)
