"""The Lambda deployment zip (``tight generate.artifact``).

:func:`collect` decides what goes in (``app/`` with its vendored packages,
``app_index.py``, ``tight.yml``, ``env.dist.yml``; never tests, caches, VCS
dirs or ``env.yml`` unless asked), :func:`write_zip` writes it so that the
same inputs always give the same bytes (sorted entries, one timestamp,
modes normalised to 644/755), and :func:`build_artifact` checks Lambda's
size limits and replaces ``builds/<name>.zip`` only once the new one is
complete.

Only the standard library is imported here.
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import sys
import tempfile
import zipfile
from pathlib import Path

from invoke.exceptions import Exit

from .config import CONFIG_NAMES, fail
from .installers import lambda_target
from .vendordir import PLATFORM_MARKER, UNZIPPED_LIMIT, human

#: Lambda's limit on a zip uploaded directly (50 MB).
ZIPPED_LIMIT = 50 * 1024 * 1024
#: Warn when a size reaches this share of its limit.
WARN_SHARE = 0.8
#: Timestamp of every entry (the earliest a zip can hold).
EPOCH = (1980, 1, 1, 0, 0, 0)

ROOT_FILES = ("app_index.py", "env.dist.yml")
ENV_FILE = "env.yml"
SKIP_DIRS = {"__pycache__", ".git", ".hg", ".svn", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", ".venv"}
#: Test directories of the app (vendored packages keep theirs).
TEST_DIRS = {"tests"}
SKIP_SUFFIXES = (".pyc", ".pyo")
SKIP_FILES = {".DS_Store"}


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def collect(root: Path, vendor_dir: str | os.PathLike = "app/vendored", include_env: bool = False,
            exclude: tuple[Path, ...] = ()) -> dict[str, Path]:
    """``{archive name: file}`` for the artifact of the app at ``root``."""
    root = Path(root).resolve()
    files: dict[str, Path] = {}
    config = next((root / name for name in CONFIG_NAMES if (root / name).is_file()), None)
    if config is not None:
        files[config.name] = config
    for name in ROOT_FILES + ((ENV_FILE,) if include_env else ()):
        if (root / name).is_file():
            files[name] = root / name
    vendor = Path(root, vendor_dir).resolve()
    excluded = {p.resolve() for p in exclude}
    app = root / "app"
    # pip.install's staging and old copies of the vendor dir (during or after an interrupted run)
    staging = (f".{vendor.name}.tight-", f".{vendor.name}.old-")
    seen: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(app, followlinks=True):
        here = Path(dirpath)
        real = here.resolve()
        if not _inside(real, root):
            raise fail(f"{here.relative_to(root)} links outside the app ({real}): replace the link with a copy.")
        if real in seen:  # a symlink loop or a second link to the same directory
            dirnames[:] = []
            continue
        seen.add(real)
        in_vendor = _inside(here, vendor)
        dirnames[:] = sorted(
            d for d in dirnames
            if d not in SKIP_DIRS and not d.startswith(staging)
            and (in_vendor or _inside(here / d, vendor) or d not in TEST_DIRS)
        )
        for name in filenames:
            if name.endswith(SKIP_SUFFIXES) or name in SKIP_FILES or (name == ENV_FILE and not include_env):
                continue
            path = here / name
            target = path.resolve()
            if target in excluded:
                continue
            if not _inside(target, root):
                raise fail(f"{path.relative_to(root)} links outside the app ({target}): replace the link with a copy.")
            if not target.is_file():
                continue  # sockets, fifos, dangling links
            files[path.relative_to(root).as_posix()] = path
    return files


def _mode(path: Path) -> int:
    """644, or 755 when any execute bit is set."""
    executable = os.stat(path).st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return 0o755 if executable else 0o644


def write_zip(destination: Path | str, files: dict[str, Path]) -> None:
    """Write ``files`` into a zip at ``destination``, byte-for-byte reproducibly."""
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        for arcname in sorted(files):
            info = zipfile.ZipInfo(arcname, date_time=EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so external_attr holds the mode
            info.external_attr = (stat.S_IFREG | _mode(files[arcname])) << 16
            with open(files[arcname], "rb") as source, archive.open(info, "w", force_zip64=True) as sink:
                shutil.copyfileobj(source, sink, 1 << 20)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def warn(message: str) -> None:
    print(message, file=sys.stderr)


def build_artifact(root: Path, app_settings: dict, output: str | os.PathLike | None = None,
                   include_env: bool = False, echo=print, zipped_limit: int = ZIPPED_LIMIT,
                   unzipped_limit: int = UNZIPPED_LIMIT) -> Path:
    """Build ``<output or root/builds>/<name>.zip``; returns its path.

    Fails (nothing written, an older zip kept) when the zip would exceed
    ``zipped_limit`` or its contents ``unzipped_limit`` bytes.
    """
    root = Path(root)
    name = app_settings.get("name")
    if not name:
        raise fail("tight.yml has no name: add `name: my-service` (it names the zip).")
    name = str(name)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise fail(f"App name {name!r} in tight.yml is not usable as a file name: use letters, digits, _ . and -.")
    for required in ("app_index.py", "app"):
        if not (root / required).exists():
            raise fail(f"{required} not found in {root}: build the artifact from a tight app (tight generate.app).")
    if include_env and not (root / ENV_FILE).is_file():
        raise fail(f"--include-env given but {ENV_FILE} does not exist: run `tight generate.env` first.")
    from .vendor import app_vendor_dir

    vendor_dir = app_settings.get("vendor_dir") or "app/vendored"
    vendor = app_vendor_dir(root, vendor_dir)
    out_dir = Path(output) if output else root / "builds"
    zip_path = out_dir / f"{name}.zip"

    files = collect(root, vendor_dir, include_env=include_env, exclude=(zip_path,))
    unzipped = sum(os.stat(path).st_size for path in files.values())
    if unzipped > unzipped_limit:
        raise fail(
            f"The artifact would hold {unzipped:,} bytes unzipped, over Lambda's {unzipped_limit:,}-byte limit: "
            f"remove dependencies from {vendor_dir} (boto3 is provided by Lambda)."
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{name}.", suffix=".zip.tmp")
    except OSError as exc:
        raise fail(f"Cannot write to {out_dir}: {exc.strerror or exc}; pick another --output directory.") from None
    os.close(fd)
    try:
        write_zip(tmp, files)
        zipped = os.path.getsize(tmp)
        if zipped > zipped_limit:
            raise fail(
                f"The artifact would be {human(zipped)} ({zipped:,} bytes) zipped, over Lambda's "
                f"{zipped_limit:,}-byte (50 MB) direct-upload limit: "
                f"remove dependencies from {vendor_dir} (boto3 is provided by Lambda); {zip_path.name} not written."
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, zip_path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        where = f" ({exc.filename})" if exc.filename else ""
        raise fail(f"Cannot build {zip_path.name}: {exc.strerror or exc}{where}; nothing was written.") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    echo(f"Built {_display(zip_path)}: {human(zipped)} zipped ({zipped:,} bytes), "
         f"{human(unzipped)} unzipped ({unzipped:,} bytes), {len(files)} files")
    if zipped >= WARN_SHARE * zipped_limit:
        warn(f"Warning: the zip uses {zipped / zipped_limit:.0%} of Lambda's 50 MB direct-upload limit.")
    if unzipped >= WARN_SHARE * unzipped_limit:
        warn(f"Warning: the contents use {unzipped / unzipped_limit:.0%} of Lambda's {unzipped_limit:,}-byte "
             "unzipped limit.")
    if not (vendor / "tight").is_dir():
        warn(f"Warning: {vendor_dir}/tight is missing, so the artifact cannot run on Lambda: "
             "run `tight pip.install --requirements` first.")
    marker = vendor / PLATFORM_MARKER
    if marker.is_file():
        try:
            wanted = lambda_target(app_settings.get("runtime", "python3.12"),
                                   app_settings.get("architecture", "x86_64")).key
        except Exit:  # an unusable runtime is pip.install's error to report
            wanted = None
        built_for = marker.read_text(encoding="utf-8").strip()
        if wanted and built_for != wanted:
            warn(f"Warning: {vendor_dir} was built for {built_for} but tight.yml says {wanted}: "
                 "run `tight pip.install --requirements`.")

    return zip_path
