"""The Lambda deployment zip (``tight generate.artifact``).

:func:`collect` decides what goes in (``app/`` with its vendored packages,
``app_index.py``, ``tight.yml``, ``env.dist.yml``; never tests, caches, VCS
dirs, secret files or ``env.yml`` unless asked), :func:`write_zip` writes it so
that the same inputs always give the same bytes (sorted entries, one
timestamp, modes normalised to 644/755), and :func:`build_artifact` checks the
vendor dir (:mod:`artifact_rules`) and Lambda's size limits before anything is
written, then replaces ``builds/<name>.zip`` only once the new one is complete.

Only the standard library is imported here.
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import console
from .. import files as fileops
from ..config import CONFIG_NAMES, fail
from .artifact_rules import ENV_FILE, ENV_JSON, app_env_json, check_vendor, is_secret
from .installers import LambdaTarget, lambda_target
from .requirements import REQUIREMENTS_FILE, requirement_lines_in
from .vendordir import UNZIPPED_LIMIT, VENDOR_FIRST

#: Lambda's limit on a zip uploaded directly (50 MB).
ZIPPED_LIMIT = 50 * 1024 * 1024
#: Warn when a size reaches this share of its limit.
WARN_SHARE = 0.8
#: Timestamp of every entry (the earliest a zip can hold).
EPOCH = (1980, 1, 1, 0, 0, 0)

ROOT_FILES = ("app_index.py", "env.dist.yml")
SKIP_DIRS = {"__pycache__", ".git", ".hg", ".svn", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", ".venv"}
#: Test directories of the app (vendored packages keep theirs).
TEST_DIRS = {"tests"}
SKIP_SUFFIXES = (".pyc", ".pyo")
SKIP_FILES = {".DS_Store"}


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


@dataclass
class Contents:
    """What goes into the zip (``{archive name: file}``) and the secret files left out."""

    files: dict[str, Path] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)


def _unreadable(error: OSError) -> None:
    raise fail(f"Cannot read {error.filename}: {error.strerror or error}; fix its permissions or move it out of "
               "app/ (no zip written).")


def collect(root: Path, vendor_dir: str | os.PathLike = "app/vendored", include_env: bool = False,
            exclude: tuple[Path, ...] = ()) -> Contents:
    """What the artifact of the app at ``root`` holds."""
    root = Path(root).resolve()
    found = Contents()
    config = next((root / name for name in CONFIG_NAMES if (root / name).is_file()), None)
    if config is not None:
        found.files[config.name] = config
    for name in ROOT_FILES + ((ENV_FILE,) if include_env else ()):
        if (root / name).is_file():
            found.files[name] = root / name
    vendor = Path(root, vendor_dir).resolve()
    excluded = {p.resolve() for p in exclude}
    # pip.install's staging and old copies of the vendor dir (during or after an interrupted run)
    staging = (f".{vendor.name}.tight-", f".{vendor.name}.old-")
    seen: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(root / "app", followlinks=True, onerror=_unreadable):
        here = Path(dirpath)
        real = here.resolve()
        if not _inside(real, root):
            raise fail(f"{here.relative_to(root)} links outside the app ({real}): replace the link with a copy.")
        if real in seen:  # a symlink loop or a second link to the same directory
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = sorted(
            d for d in dirnames
            if d not in SKIP_DIRS and not d.startswith(staging)
            and (_inside(here, vendor) or _inside(here / d, vendor) or d not in TEST_DIRS)
        )
        for name in filenames:
            _add_file(found, root, here / name, vendor, include_env, excluded)
    return found


def _add_file(found: Contents, root: Path, path: Path, vendor: Path, include_env: bool,
              excluded: set[Path]) -> None:
    if path.name.endswith(SKIP_SUFFIXES) or path.name in SKIP_FILES:
        return
    target = path.resolve()
    if target in excluded:
        return
    relative = path.relative_to(root)
    if not _inside(target, root):
        raise fail(f"{relative} links outside the app ({target}): replace the link with a copy.")
    if not target.is_file():
        return  # sockets, fifos, dangling links
    # A secret by its own name or by what it points to (app/settings.yml -> ../env.yml).
    if is_secret(relative.parts, _inside(path, vendor), include_env) or \
            is_secret(target.relative_to(root).parts, _inside(target, vendor), include_env):
        found.secrets.append(relative.as_posix())
        return
    found.files[relative.as_posix()] = path


def _mode(path: Path) -> int:
    """644, or 755 when any execute bit is set."""
    executable = os.stat(path).st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return 0o755 if executable else 0o644


def write_zip(destination: Path | str, files: dict[str, Path | bytes]) -> None:
    """Write ``files`` (paths, or bytes for generated entries) into a zip at ``destination``, reproducibly."""
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        for arcname in sorted(files):
            entry = files[arcname]
            info = zipfile.ZipInfo(arcname, date_time=EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so external_attr holds the mode
            info.external_attr = (stat.S_IFREG | (0o644 if isinstance(entry, bytes) else _mode(entry))) << 16
            with archive.open(info, "w", force_zip64=True) as sink:
                if isinstance(entry, bytes):
                    sink.write(entry)
                    continue
                with open(entry, "rb") as source:
                    shutil.copyfileobj(source, sink, 1 << 20)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _zip_name(app_settings: dict) -> str:
    name = app_settings.get("name")
    if not name:
        raise fail("tight.yml has no name: add `name: my-service` (it names the zip).")
    name = str(name)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise fail(f"App name {name!r} in tight.yml is not usable as a file name: use letters, digits, _ . and -.")
    return name


def build_artifact(root: Path, app_settings: dict, output: str | os.PathLike | None = None,
                   include_env: bool = False, echo=console.say, zipped_limit: int = ZIPPED_LIMIT,
                   unzipped_limit: int = UNZIPPED_LIMIT) -> Path:
    """Build ``<output or root/builds>/<name>.zip``; returns its path.

    Fails (nothing written, an older zip kept) on an unknown runtime or
    architecture, a vendor dir built for another platform or missing a
    requirement, or when the zip would exceed ``zipped_limit`` or its contents
    ``unzipped_limit`` bytes.
    """
    root = Path(root)
    name = _zip_name(app_settings)
    for required in ("app_index.py", "app"):
        if not (root / required).exists():
            raise fail(f"{required} not found in {root}: build the artifact from a tight app (tight generate.app).")
    if include_env and not (root / ENV_FILE).is_file():
        raise fail(f"--include-env given but {ENV_FILE} does not exist: run `tight generate.env` first.")
    from .vendor import app_vendor_dir

    platform = lambda_target(app_settings.get("runtime") or "python3.12", app_settings.get("architecture") or "x86_64")
    vendor_dir = app_settings.get("vendor_dir") or "app/vendored"
    vendor = app_vendor_dir(root, vendor_dir)
    check_vendor(root, vendor, vendor_dir, platform)
    out_dir = Path(output) if output else root / "builds"
    zip_path = out_dir / f"{name}.zip"

    entries = _entries(root, name, vendor, vendor_dir, platform, include_env, zip_path, echo)
    unzipped = sum(len(e) if isinstance(e, bytes) else os.stat(e).st_size for e in entries.values())
    if unzipped > unzipped_limit:
        raise fail(
            f"The artifact would hold {unzipped:,} bytes unzipped, over Lambda's {unzipped_limit:,}-byte limit: "
            f"remove dependencies from {vendor_dir} (boto3 is provided by Lambda)."
        )
    zipped = _write(zip_path, entries, zipped_limit, vendor_dir)
    echo(f"Built {_display(zip_path)}: {console.human_size(zipped)} zipped ({zipped:,} bytes), "
         f"{console.human_size(unzipped)} unzipped ({unzipped:,} bytes), {len(entries)} files")
    if zipped >= WARN_SHARE * zipped_limit:
        console.warn(f"Warning: the zip uses {zipped / zipped_limit:.0%} of Lambda's 50 MB direct-upload limit.")
    if unzipped >= WARN_SHARE * unzipped_limit:
        console.warn(f"Warning: the contents use {unzipped / unzipped_limit:.0%} of Lambda's {unzipped_limit:,}-byte "
             "unzipped limit.")
    if not (vendor / "tight").is_dir():
        console.warn(f"Warning: {vendor_dir}/tight is missing, so the artifact cannot run on Lambda: "
             f"run `{platform.install_hint}` first.")
    return zip_path


def _entries(root: Path, name: str, vendor: Path, vendor_dir: str, platform: LambdaTarget, include_env: bool,
             zip_path: Path, echo) -> dict[str, Path | bytes]:
    """What the zip holds: the app's files without the runtime's packages, its env, and bytecode."""
    from .bytecode import compile_sources, find_python
    from .provided import decide, describe

    contents = collect(root, vendor_dir, include_env=include_env, exclude=(zip_path,))
    if contents.secrets:
        echo("Left out (they look like secrets): " + ", ".join(contents.secrets))
    vendor_prefix = vendor.resolve().relative_to(root.resolve()).as_posix() + "/"
    decision = decide(vendor, platform, requirement_lines_in(root / REQUIREMENTS_FILE))
    for line in describe(decision, platform.runtime):
        echo(line)
    entries: dict[str, Path | bytes] = {
        arcname: path for arcname, path in contents.files.items()
        if not (arcname.startswith(vendor_prefix) and arcname[len(vendor_prefix):] in decision.files)}
    if decision.kept:  # app_index.py puts the vendor dir first only then: the app asked for other versions
        entries[vendor_prefix + VENDOR_FIRST] = "".join(
            f"{project}: {why}\n" for project, why in decision.kept.items()).encode("utf-8")
    entries[ENV_JSON] = app_env_json(root, name, include_env)
    python = find_python(platform.python_version)
    if python is None:
        console.warn(f"Warning: no Python {platform.python_version} found (on PATH, through uv or pyenv), so the "
                     f"zip ships source only and Lambda compiles it on every cold start: install Python "
                     f"{platform.python_version} (uv python install {platform.python_version}).")
    else:
        entries.update(compile_sources(python, platform.python_version,
                                       {a: e for a, e in entries.items() if isinstance(e, Path)}))
    return entries


def _write(zip_path: Path, entries: dict[str, Path | bytes], zipped_limit: int, vendor_dir: str) -> int:
    """Write the zip beside ``zip_path``, then rename it into place; returns its size."""
    out_dir = zip_path.parent
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        tmp = fileops.write_temp(zip_path, b"", mode=0o644)
    except OSError as exc:
        raise fail(f"Cannot write to {out_dir}: {exc.strerror or exc}; pick another --output directory.") from None
    try:
        write_zip(tmp, entries)
        zipped = os.path.getsize(tmp)
        if zipped > zipped_limit:
            raise fail(
                f"The artifact would be {console.human_size(zipped)} ({zipped:,} bytes) zipped, over Lambda's "
                f"{zipped_limit:,}-byte (50 MB) direct-upload limit: "
                f"remove dependencies from {vendor_dir} (boto3 is provided by Lambda); {zip_path.name} not written."
            )
        os.replace(tmp, zip_path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        where = f" ({exc.filename})" if exc.filename else ""
        raise fail(f"Cannot build {zip_path.name}: {exc.strerror or exc}{where}; nothing was written.") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return zipped
