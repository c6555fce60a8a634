"""The vendor dir (``app/vendored``): what may be replaced, what is in it, what may ship.

* :func:`check_target` - refuse a vendor dir whose replacement would destroy
  the user's files;
* :func:`prune` - drop what Lambda already provides (boto3, botocore,
  s3transfer), ``bin/`` and ``__pycache__``;
* :func:`foreign_binaries` - editable finders and compiled modules that cannot
  load on the target platform;
* :func:`vendored_projects`, :func:`built_for` - what an artifact checks.

Only the standard library is imported here.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import time
from pathlib import Path

from .. import files
from ..config import fail, usage_error
from .installers import LambdaTarget
from .requirements import normalize

#: File in the vendor dir recording the platform it was built for.
PLATFORM_MARKER = ".tight-platform"

#: Written into the zip's vendor dir when it keeps a package the runtime ships (a version the app pins):
#: app_index.py then puts the vendor dir before the runtime's packages, not after them.
VENDOR_FIRST = ".tight-vendor-first"

#: Projects the Lambda Python runtimes ship (pruned unless --keep-boto3).
PROVIDED_BY_LAMBDA = ("boto3", "botocore", "s3transfer")

#: Lambda's limit on the unzipped size of a function and its layers.
UNZIPPED_LIMIT = 262_144_000
#: Warn when the vendor dir alone uses this share of :data:`UNZIPPED_LIMIT`.
WARN_SHARE = 0.8

STALE_AFTER = 3600  # seconds: older staging dirs belong to no running install


# -- may it be replaced? ---------------------------------------------------------

def check_target(directory: Path, root: Path) -> None:
    """Refuse a vendor dir that tight may not rebuild (:func:`files.why_not_replaceable`).

    Allowed: a missing or empty directory, or one holding tight's
    :data:`PLATFORM_MARKER` (tight vendored into it) and nothing of the app's.
    """
    reason = files.why_not_replaceable(directory, owner_marker=PLATFORM_MARKER, app_root=root)
    if reason is not None:
        try:
            shown = str(Path(directory).absolute().relative_to(Path(root).absolute())) or "."
        except ValueError:
            shown = str(directory)
        raise usage_error(
            f"Refusing to use {shown} as the vendor dir: {reason}; "
            "choose a dedicated directory such as app/vendored (--target or vendor_dir in tight.yml)."
        )


# -- what is in it ---------------------------------------------------------------

def dist_infos(directory: Path) -> dict[str, tuple[str, str]]:
    """``{dist-info dir name: (normalized project, version)}`` in ``directory``."""
    found = {}
    if directory.is_dir():
        for entry in directory.iterdir():
            if entry.name.endswith(".dist-info") and entry.is_dir():
                project, _, version = entry.name[: -len(".dist-info")].partition("-")
                found[entry.name] = (normalize(project), version)
    return found


def vendored_projects(directory: Path) -> set[str]:
    """Normalized names of the projects installed in ``directory``."""
    return {project for project, _ in dist_infos(directory).values()}


def built_for(directory: Path) -> str | None:
    """The platform key in ``directory``'s marker (``python3.12 x86_64``), or None."""
    marker = directory / PLATFORM_MARKER
    try:
        return marker.read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def prune(directory: Path, keep_boto3: bool = False) -> tuple[list[str], int]:
    """Remove what Lambda provides (unless ``keep_boto3``), ``bin/`` and every ``__pycache__``.

    Returns the removed top-level entries (sorted) and the number of
    ``__pycache__`` directories removed.
    """
    removed: list[str] = []
    provided = set() if keep_boto3 else set(PROVIDED_BY_LAMBDA)
    for entry in sorted(directory.iterdir(), key=lambda p: p.name):
        name = entry.name
        project = None
        if name.endswith((".dist-info", ".egg-info")):
            project = normalize(name.rsplit(".", 1)[0].partition("-")[0])
        elif entry.is_dir() or name.endswith(".py"):
            project = normalize(name.removesuffix(".py"))
        if (name == "bin" and entry.is_dir()) or name == ".lock" or project in provided:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
                removed.append(name + "/")
            else:
                entry.unlink()
                if name != ".lock":  # uv's lock file for --target
                    removed.append(name)
    caches = 0
    for dirpath, dirnames, _ in os.walk(directory):
        for sub in list(dirnames):
            if sub == "__pycache__":
                shutil.rmtree(Path(dirpath) / sub)
                dirnames.remove(sub)
                caches += 1
    return removed, caches


# -- what can run on Lambda ------------------------------------------------------

#: ELF e_machine values of the Lambda architectures.
ELF_MACHINES = {62: "x86_64", 183: "aarch64"}
_EXTENSION_TAG = re.compile(r"\.cpython-(\d)(\d+)[a-z]*-([A-Za-z0-9_]+)-([a-z]+)(?:-gnu)?\.so$")


def _elf_arch(path: Path) -> str | None:
    """The architecture of an ELF file, ``"not ELF"`` for anything else."""
    with open(path, "rb") as handle:
        head = handle.read(20)
    if len(head) < 20 or head[:4] != b"\x7fELF":
        return "not ELF"
    machine = int.from_bytes(head[18:20], "little" if head[5] == 1 else "big")
    return ELF_MACHINES.get(machine, f"machine {machine}")


def _foreign(path: Path, target: LambdaTarget) -> str | None:
    """Why the file at ``path`` cannot load on ``target`` (None when it can)."""
    name = path.name
    if name.startswith("__editable__"):
        return "an editable install's link to a directory on this machine"
    if name.endswith((".pyd", ".dylib", ".dll")):
        return "a Windows or macOS binary"
    if not name.endswith(".so") and ".so." not in name:
        return None
    tag = _EXTENSION_TAG.search(name)
    if tag:
        python, arch, system = f"{tag.group(1)}.{tag.group(2)}", tag.group(3), tag.group(4)
        if system != "linux" or python != target.python_version or arch != target.arch:
            return f"built for Python {python} on {arch}-{system}"
    arch = _elf_arch(path)
    if arch != target.arch:
        return "not a Linux binary" if arch == "not ELF" else f"a binary for {arch}"
    return None


def foreign_binaries(directory: Path, target: LambdaTarget) -> list[tuple[str, str]]:
    """``[(relative path, why)]`` of files in ``directory`` that cannot run on ``target``."""
    found = []
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if path.is_symlink() or not path.is_file():
                continue
            why = _foreign(path, target)
            if why:
                found.append((path.relative_to(directory).as_posix(), why))
    return found


# -- the runtime, sizes, leftovers ------------------------------------------------

def runtime_source() -> Path:
    """Directory of the ``tight`` runtime package shipped with this distribution."""
    spec = importlib.util.find_spec("tight")
    if spec is None or not spec.submodule_search_locations:
        raise fail("The tight runtime package is not installed with tight-cli: reinstall tight-cli.")
    return Path(next(iter(spec.submodule_search_locations)))


#: What of the ``tight`` package runs on Lambda: the rest (``tight.core``: pytest plugin,
#: test helpers, model discovery, embedded engine; ``tight.dev``) stays on the laptop.
RUNTIME_FILES = ("__init__.py",)
RUNTIME_PACKAGES = ("providers",)


def copy_runtime(directory: Path) -> Path:
    """Copy what Lambda runs of the ``tight`` package into ``directory`` (replacing an older copy).

    The copy's ``__init__`` extends its ``__path__`` (pkgutil), so in the app's test
    session, with the vendor dir first on ``sys.path``, ``tight.core`` still resolves
    from the installed tight-cli.
    """
    source = runtime_source()
    destination = directory / "tight"
    if destination.is_symlink() or destination.is_file():
        destination.unlink()
    elif destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    for name in RUNTIME_FILES:
        shutil.copy2(source / name, destination / name)
    for name in RUNTIME_PACKAGES:
        shutil.copytree(source / name, destination / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo"))
    return destination


def tree_size(directory: Path) -> tuple[int, int]:
    """Total bytes and number of files under ``directory`` (symlinks not followed)."""
    total = files = 0
    for dirpath, _, filenames in os.walk(directory):
        for name in filenames:
            total += os.lstat(os.path.join(dirpath, name)).st_size
            files += 1
    return total, files


def size_warning(size: int, shown_dir: str) -> str | None:
    """A warning when a vendor dir of ``size`` bytes nears or passes Lambda's unzipped limit."""
    if size > UNZIPPED_LIMIT:
        return (f"Warning: {shown_dir} is {size:,} bytes, over Lambda's {UNZIPPED_LIMIT:,}-byte unzipped limit: "
                "generate.artifact will refuse it; remove dependencies.")
    if size >= WARN_SHARE * UNZIPPED_LIMIT:
        return (f"Warning: {shown_dir} is {size:,} bytes, {size / UNZIPPED_LIMIT:.0%} of Lambda's "
                f"{UNZIPPED_LIMIT:,}-byte unzipped limit.")
    return None


def remove_stale_staging(directory: Path, max_age: float = STALE_AFTER) -> list[str]:
    """Delete staging dirs of ``directory`` that a killed install left behind; return their names."""
    removed = []
    if not directory.parent.is_dir():
        return removed
    cutoff = time.time() - max_age
    for prefix in (f".{directory.name}.tight-", f".{directory.name}.old-"):
        for path in sorted(directory.parent.glob(prefix + "*")):
            if path.is_dir() and not path.is_symlink() and path.stat().st_mtime < cutoff:
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path.name)
    return removed
