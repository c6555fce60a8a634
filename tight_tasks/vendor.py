"""Vendor an app's dependencies for the Lambda platform (``tight pip.install``).

The pieces, each usable on its own:

* :func:`lambda_target` - the runtime/architecture of ``tight.yml`` as wheel
  platform tags (``manylinux_2_34_x86_64`` ... for python3.12+, up to
  ``manylinux2014`` for python3.10/3.11);
* :func:`pip_command` / :func:`uv_command` - installer command lines that
  resolve for that platform, never for the host;
* :func:`prune` - drop what Lambda already provides (boto3, botocore,
  s3transfer), ``bin/`` and ``__pycache__``;
* :func:`add_requirements` - append named packages to requirements-vendor.txt;
* :func:`vendor_install` - the whole command: install into a staging
  directory next to the vendor dir, finish it there, then swap it in.

Only the standard library is imported here.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .config import fail, usage_error

REQUIREMENTS_FILE = "requirements-vendor.txt"
#: File in the vendor dir recording the platform it was built for.
PLATFORM_MARKER = ".tight-platform"

#: Projects the Lambda Python runtimes ship (pruned unless --keep-boto3).
PROVIDED_BY_LAMBDA = ("boto3", "botocore", "s3transfer")

#: Lambda's limit on the unzipped size of a function and its layers.
UNZIPPED_LIMIT = 262_144_000
#: Warn when the vendor dir alone uses this share of :data:`UNZIPPED_LIMIT`.
WARN_SHARE = 0.8

ARCHITECTURES = {"x86_64": "x86_64", "amd64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}

#: Lowest Python minor version with a Lambda runtime on Amazon Linux 2023.
AL2023_FROM = 12
#: glibc minor version of the runtime's OS: Amazon Linux 2 (2.26, wheels up
#: to manylinux2014 = manylinux_2_17) or Amazon Linux 2023 (2.34).
GLIBC_AL2 = 17
GLIBC_AL2023 = 34


# -- the target platform -----------------------------------------------------

@dataclass(frozen=True)
class LambdaTarget:
    """What wheels a Lambda runtime can load."""

    runtime: str  # python3.12
    python_version: str  # 3.12
    arch: str  # x86_64 | aarch64 (wheel spelling)
    glibc_minor: int  # 17 | 34

    @property
    def pip_platforms(self) -> list[str]:
        """Platform tags for ``pip --platform``, most specific first.

        pip only expands ``manylinux2014``/``manylinux2010`` itself, so every
        ``manylinux_2_N`` the runtime's glibc accepts is listed.
        """
        tags = [f"manylinux_2_{minor}_{self.arch}" for minor in range(self.glibc_minor, 16, -1)]
        tags.append(f"manylinux2014_{self.arch}")
        if self.arch == "x86_64":
            tags += ["manylinux_2_12_x86_64", "manylinux2010_x86_64", "manylinux_2_5_x86_64", "manylinux1_x86_64"]
        return tags

    @property
    def uv_platform(self) -> str:
        """The ``uv pip install --python-platform`` value."""
        return f"{self.arch}-manylinux_2_{self.glibc_minor}"

    @property
    def key(self) -> str:
        """What :data:`PLATFORM_MARKER` holds: ``python3.12 x86_64``."""
        return f"{self.runtime} {self.arch}"

    @property
    def label(self) -> str:
        """How the platform is named in messages."""
        return f"{self.runtime} {self.arch} (manylinux_2_{self.glibc_minor})"


def lambda_target(runtime: str, architecture: str) -> LambdaTarget:
    """Wheel platform for a Lambda ``runtime`` (python3.10 ...) and ``architecture``."""
    match = re.fullmatch(r"python3\.(\d+)", str(runtime).strip())
    if not match or int(match.group(1)) < 10:
        raise usage_error(
            f"Unsupported runtime {runtime!r}: use a Lambda Python runtime such as python3.12 "
            "(--runtime or runtime in tight.yml)."
        )
    arch = ARCHITECTURES.get(str(architecture).strip().lower())
    if arch is None:
        raise usage_error(
            f"Unsupported architecture {architecture!r}: use x86_64 or arm64 (--architecture or architecture in tight.yml)."
        )
    minor = int(match.group(1))
    glibc = GLIBC_AL2023 if minor >= AL2023_FROM else GLIBC_AL2
    return LambdaTarget(f"python3.{minor}", f"3.{minor}", arch, glibc)


# -- installers ----------------------------------------------------------------

@dataclass(frozen=True)
class IndexOptions:
    """pip's index options, passed through to either installer."""

    index_url: str | None = None
    find_links: str | None = None
    no_index: bool = False

    def args(self) -> list[str]:
        out: list[str] = []
        if self.index_url:
            out += ["--index-url", self.index_url]
        if self.find_links:
            out += ["--find-links", self.find_links]
        if self.no_index:
            out.append("--no-index")
        return out


def pip_command(directory: Path, target: LambdaTarget, requirements: list[str], index: IndexOptions,
                python: str | None = None) -> list[str]:
    """``python -m pip install`` of tight's own interpreter, resolving for ``target``."""
    command = [
        python or sys.executable, "-m", "pip", "install",
        "--target", str(directory),
        "--upgrade",
        "--only-binary=:all:",
        "--implementation", "cp",
        "--python-version", target.python_version,
    ]
    for tag in target.pip_platforms:
        command += ["--platform", tag]
    command += ["--no-compile", "--disable-pip-version-check", "--no-input", "--progress-bar", "off"]
    return command + index.args() + requirements


def uv_command(uv: str, directory: Path, target: LambdaTarget, requirements: list[str], index: IndexOptions,
               python: str | None = None) -> list[str]:
    """``uv pip install`` resolving for ``target`` (uv expands the manylinux tags itself)."""
    command = [
        uv, "pip", "install",
        "--target", str(directory),
        "--python", python or sys.executable,
        "--python-platform", target.uv_platform,
        "--python-version", target.python_version,
        "--only-binary", ":all:",
        "--no-progress",
    ]
    return command + index.args() + requirements


def find_uv() -> str | None:
    """uv next to tight's interpreter (same venv) or on PATH."""
    beside = Path(sys.executable).parent / ("uv.exe" if os.name == "nt" else "uv")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("uv")


def uv_supports(uv: str, target: LambdaTarget) -> bool:
    """Whether this uv has ``--target``, ``--python-platform`` and the target's platform."""
    try:
        out = subprocess.run([uv, "pip", "install", "--help"], check=False, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    text = out.stdout
    return out.returncode == 0 and all(s in text for s in ("--target", "--python-platform", target.uv_platform))


def choose_installer(name: str, target: LambdaTarget) -> tuple[str, str | None]:
    """``("uv", path)`` or ``("pip", None)`` for ``--installer auto|pip|uv``."""
    name = (name or "auto").lower()
    if name not in ("auto", "pip", "uv"):
        raise usage_error(f"Unknown installer {name!r}: use --installer auto, pip or uv.")
    if name in ("auto", "uv"):
        uv = find_uv()
        if uv and uv_supports(uv, target):
            return "uv", uv
        if name == "uv":
            why = "is not installed" if not uv else f"at {uv} does not support --python-platform {target.uv_platform}"
            raise fail(f"uv {why}: install or upgrade uv (pip install -U uv), or use --installer pip.")
    if importlib.util.find_spec("pip") is None:
        raise fail(
            f"pip is not installed for {sys.executable}: run `{sys.executable} -m ensurepip` or install uv."
        )
    return "pip", None


_PIP_NO_WHEEL = re.compile(r"No matching distribution found for ([A-Za-z0-9][A-Za-z0-9._-]*)")
_UV_NO_WHEEL = (
    re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:==\S+)? has no wheels with a matching platform tag"),
    re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*) was not found in the"),
    re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:==\S+)? has no usable wheels"),
)


def reported_installs(output: str) -> list[str]:
    """``["name version", ...]`` from pip's "Successfully installed" line or uv's ``+ name==version`` lines."""
    found: list[str] = []
    for line in output.splitlines():
        if line.startswith("Successfully installed "):
            for item in line.split()[2:]:
                name, _, version = item.rpartition("-")
                found.append(f"{name} {version}")
        else:
            match = re.match(r"\s*\+ ([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
            if match:
                found.append(f"{match.group(1)} {match.group(2)}")
    return sorted(found)


def missing_package(output: str) -> str | None:
    """The package an installer found no compatible wheel for, from its output."""
    for pattern in (_PIP_NO_WHEEL, *_UV_NO_WHEEL):
        match = pattern.search(output)
        if match:
            return match.group(1)
    return None


# -- requirements-vendor.txt -------------------------------------------------

_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


def normalize(name: str) -> str:
    """PEP 503 normalized project name (``Foo_Bar`` -> ``foo-bar``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(line: str) -> str | None:
    """Normalized project name of a requirements line (None for comments, options, paths, URLs)."""
    text = line.split(" #", 1)[0].strip()
    if not text or text.startswith(("#", "-")) or "://" in text.split("@", 1)[0] or "/" in text.split("@", 1)[0]:
        return None
    match = _NAME.match(text)
    return normalize(match.group(1)) if match else None


def add_requirements(text: str, packages: list[str]) -> tuple[str, list[str]]:
    """``text`` with each of ``packages`` not yet named in it appended; also the ones added.

    Other lines, comments, line endings and the presence of a final newline are kept.
    """
    present = {requirement_name(line) for line in text.splitlines()}
    exact = {line.strip() for line in text.splitlines()}
    added: list[str] = []
    for spec in packages:
        name = requirement_name(spec)
        key = name if name is not None else spec.strip()
        if (name is not None and name in present) or spec.strip() in exact or key in present:
            continue
        present.add(key)
        added.append(spec.strip())
    if not added:
        return text, []
    newline = "\r\n" if "\r\n" in text else "\n"
    ends_with_newline = text == "" or text.endswith(("\n", "\r"))
    body = text if ends_with_newline else text + newline
    body += newline.join(added)
    if ends_with_newline:
        body += newline
    return body, added


def write_temp(path: Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path`` (same mode); rename it to finish."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        if path.exists():
            shutil.copymode(path, tmp)
        else:
            os.chmod(tmp, 0o644)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


# -- the vendor dir ------------------------------------------------------------

def _dist_infos(directory: Path) -> dict[str, tuple[str, str]]:
    """``{dist-info dir name: (normalized project, version)}`` in ``directory``."""
    found = {}
    if directory.is_dir():
        for entry in directory.iterdir():
            if entry.name.endswith(".dist-info") and entry.is_dir():
                project, _, version = entry.name[: -len(".dist-info")].partition("-")
                found[entry.name] = (normalize(project), version)
    return found


def _record_paths(dist_info: Path) -> set[str]:
    record = dist_info / "RECORD"
    if not record.is_file():
        return set()
    paths = set()
    for line in record.read_text(encoding="utf-8", errors="replace").splitlines():
        path = line.rsplit(",", 2)[0].strip('"') if line.count(",") >= 2 else line.strip()
        if path:
            paths.add(path)
    return paths


def _inside(base: Path, relative: str) -> Path | None:
    """``base / relative`` if it stays inside ``base`` (RECORD paths are untrusted)."""
    candidate = (base / relative).resolve()
    return candidate if candidate.is_relative_to(base.resolve()) and candidate != base.resolve() else None


def remove_superseded(directory: Path, before: dict[str, tuple[str, str]]) -> list[str]:
    """Delete the old ``.dist-info`` (and files only it listed) of projects reinstalled in another version.

    ``pip install --target --upgrade`` replaces top-level directories but
    leaves the previous version's metadata next to the new one.
    """
    after = _dist_infos(directory)
    new = {project: name for name, (project, _) in after.items() if name not in before}
    removed = []
    for old_name, (project, _) in before.items():
        if project not in new or old_name not in after:
            continue
        keep = _record_paths(directory / new[project])
        for rel in sorted(_record_paths(directory / old_name) - keep, reverse=True):
            path = _inside(directory, rel)
            if path is not None and path.is_file() and not path.is_relative_to(directory / new[project]):
                path.unlink()
        shutil.rmtree(directory / old_name, ignore_errors=True)
        removed.append(old_name)
    return removed


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


def runtime_source() -> Path:
    """Directory of the ``tight`` runtime package shipped with this distribution."""
    spec = importlib.util.find_spec("tight")
    if spec is None or not spec.submodule_search_locations:
        raise fail("The tight runtime package is not installed with tight-cli: reinstall tight-cli.")
    return Path(next(iter(spec.submodule_search_locations)))


def copy_runtime(directory: Path) -> Path:
    """Copy the ``tight`` runtime package into ``directory`` (replacing an older copy)."""
    source = runtime_source()
    destination = directory / "tight"
    if destination.is_symlink() or destination.is_file():
        destination.unlink()
    elif destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo"))
    return destination


def tree_size(directory: Path) -> tuple[int, int]:
    """Total bytes and number of files under ``directory`` (symlinks not followed)."""
    total = files = 0
    for dirpath, _, filenames in os.walk(directory):
        for name in filenames:
            total += os.lstat(os.path.join(dirpath, name)).st_size
            files += 1
    return total, files


def human(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size} B"  # pragma: no cover


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def check_target(directory: Path, root: Path) -> None:
    """Refuse vendor dirs whose replacement would destroy something else."""
    resolved = directory.resolve()
    protected = {root.resolve(), *root.resolve().parents, Path.home().resolve(), Path.cwd().resolve()}
    if resolved in protected or resolved.parent == resolved:
        raise usage_error(f"Refusing to use {directory} as the vendor dir: choose a dedicated directory such as app/vendored.")
    if resolved.exists() and not resolved.is_dir():
        raise fail(f"The vendor dir {directory} is a file: remove it or choose another --target.")
    for marker in (".git", "tight.yml", "tight.yaml", "setup.py", "pyproject.toml"):
        if (resolved / marker).exists():
            raise usage_error(
                f"Refusing to replace {directory}: it holds {marker}, so it is not a vendor dir; choose another --target."
            )


def size_warning(size: int, shown_dir: str) -> str | None:
    """A warning when a vendor dir of ``size`` bytes nears or passes Lambda's unzipped limit."""
    if size > UNZIPPED_LIMIT:
        return (f"Warning: {shown_dir} is {size:,} bytes, over Lambda's {UNZIPPED_LIMIT:,}-byte unzipped limit: "
                "generate.artifact will refuse it; remove dependencies.")
    if size >= WARN_SHARE * UNZIPPED_LIMIT:
        return (f"Warning: {shown_dir} is {size:,} bytes, {size / UNZIPPED_LIMIT:.0%} of Lambda's "
                f"{UNZIPPED_LIMIT:,}-byte unzipped limit.")
    return None


def warn(message: str) -> None:
    print(message, file=sys.stderr)


def _run_installer(command: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              errors="replace", stdin=subprocess.DEVNULL)
    except OSError as exc:
        raise fail(f"Cannot run {command[0]}: {exc.strerror or exc}.") from None


STALE_AFTER = 3600  # seconds: older staging dirs belong to no running install


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


def vendor_install(
    root: Path,
    packages: list[str] | None = None,
    requirements: bool = False,
    requirements_file: str | os.PathLike | None = None,
    target: str | os.PathLike = "app/vendored",
    runtime: str = "python3.12",
    architecture: str = "x86_64",
    keep_boto3: bool = False,
    installer: str = "auto",
    index_url: str | None = None,
    find_links: str | None = None,
    no_index: bool = False,
    echo=print,
) -> Path:
    """Install ``packages`` (and with ``requirements`` the requirements file) into the vendor dir.

    Relative ``target`` and ``requirements_file`` are taken from ``root``.
    With ``requirements`` the vendor dir is rebuilt from scratch; with only
    named packages they are added to a copy of the current one.  Either way
    the result replaces the vendor dir only once everything succeeded.
    """
    root = Path(root)
    packages = list(dict.fromkeys(p.strip() for p in (packages or []) if p.strip()))
    if not packages and not requirements:
        raise usage_error(
            "Nothing to install: name packages (tight pip.install requests) "
            "or pass --requirements to install requirements-vendor.txt."
        )
    platform = lambda_target(runtime, architecture)
    directory = Path(root, target)
    check_target(directory, root)
    req_path = Path(root, requirements_file or REQUIREMENTS_FILE)
    if not req_path.parent.is_dir():
        raise fail(f"The directory of {req_path} does not exist: pass an existing --requirements-file.")
    if req_path.exists() and not req_path.is_file():
        raise fail(f"{req_path} is not a file: pass --requirements-file FILE.")
    if requirements and not req_path.is_file():
        raise fail(f"{_display(req_path, root)} not found: create it, pass --requirements-file, or name packages.")
    old_text = ""
    if req_path.is_file():
        with open(req_path, encoding="utf-8", newline="") as handle:
            old_text = handle.read()
    marker = directory / PLATFORM_MARKER
    if not requirements and marker.is_file():
        built_for = marker.read_text(encoding="utf-8").strip()
        if built_for != platform.key:
            raise fail(
                f"{_display(directory, root)} holds packages for {built_for}, not {platform.key}: rebuild it "
                f"with `tight pip.install --requirements {' '.join(packages)}`."
            )
    kind, uv = choose_installer(installer, platform)
    index = IndexOptions(index_url, find_links, no_index)

    args = (["-r", str(req_path)] if requirements else []) + packages
    what = ", ".join(packages) + (" + " if packages and requirements else "")
    what += _display(req_path, root) if requirements else ""
    shown_dir = _display(directory, root)
    echo(f"Installing {what} into {shown_dir} for Lambda {platform.label} with {kind}...")

    created_parent = None
    if not directory.parent.exists():
        created_parent = next(p for p in reversed([directory.parent, *directory.parent.parents]) if not p.exists())
        directory.parent.mkdir(parents=True)
    for leftover in remove_stale_staging(directory):
        echo(f"Removed {leftover}, left behind by an interrupted install")
    staging = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}.tight-"))
    old = req_tmp = None
    try:
        if directory.is_dir() and not requirements:
            shutil.copytree(directory, staging, symlinks=True, dirs_exist_ok=True)
        before = _dist_infos(staging)
        if kind == "uv":
            command = uv_command(uv, staging, platform, args, index)
        else:
            command = pip_command(staging, platform, args, index)
        result = _run_installer(command)
        if result.returncode != 0:
            sys.stdout.flush()
            sys.stderr.write(result.stdout)
            if not result.stdout.endswith("\n"):
                sys.stderr.write("\n")
            sys.stderr.flush()
            unchanged = f"{shown_dir} and {_display(req_path, root)} are unchanged"
            missing = missing_package(result.stdout)
            if missing:
                raise fail(
                    f"No compatible wheel of {missing} for Lambda {platform.label}: check the name, or pick a "
                    f"version or package with Linux wheels for this platform ({unchanged})."
                )
            raise fail(f"{kind} install failed (exit code {result.returncode}, output above); {unchanged}.")
        superseded = remove_superseded(staging, before)
        removed, caches = prune(staging, keep_boto3=keep_boto3)
        installed = reported_installs(result.stdout) or sorted(
            f"{project} {version}" for name, (project, version) in _dist_infos(staging).items() if name not in before
        )
        gone = {r.rstrip("/").removesuffix(".py") for r in removed}
        installed = [i for i in installed if normalize(i.split()[0]) not in {normalize(g) for g in gone}]
        copy_runtime(staging)
        (staging / PLATFORM_MARKER).write_text(platform.key + "\n", encoding="utf-8")
        os.chmod(staging, 0o755)  # mkdtemp makes it 0700
        new_text, added = add_requirements(old_text, packages)
        if added:  # written now, renamed into place right after the vendor dir
            req_tmp = write_temp(req_path, new_text)
        if directory.exists():
            old = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}.old-"))
            os.replace(directory, old / directory.name)
        os.replace(staging, directory)
        if req_tmp is not None:
            os.replace(req_tmp, req_path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if req_tmp is not None:
            req_tmp.unlink(missing_ok=True)
        if old is not None and (old / directory.name).exists() and not directory.exists():
            os.replace(old / directory.name, directory)
        if created_parent is not None and not directory.exists():
            shutil.rmtree(created_parent, ignore_errors=True)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    if installed:
        echo("Installed: " + ", ".join(installed))
    if superseded:
        echo("Replaced older versions: " + ", ".join(superseded))
    provided = [r for r in removed if r.rstrip("/") != "bin"]
    if provided:
        echo("Removed (provided by the Lambda runtime): " + ", ".join(provided))
    dropped = (["bin/"] if "bin/" in removed else []) + ([f"{caches} __pycache__ dirs"] if caches else [])
    if dropped:
        echo("Removed: " + ", ".join(dropped))
    echo(f"Copied the tight runtime into {shown_dir}/tight")
    if added:
        echo(f"Added to {_display(req_path, root)}: " + ", ".join(added))
    size, files = tree_size(directory)
    echo(f"{shown_dir}: {human(size)} ({size:,} bytes) in {files} files")
    message = size_warning(size, shown_dir)
    if message:
        warn(message)
    return directory


def local_path(value: str | os.PathLike | None, base: str | os.PathLike) -> str | None:
    """``value`` made absolute against ``base`` (URLs and ``None`` unchanged)."""
    if value is None or value == "":
        return None
    text = os.fspath(value)
    if "://" in text:
        return text
    return os.path.join(base, os.path.expanduser(text))


def app_vendor_dir(root: Path, vendor_dir: str) -> Path:
    """``vendor_dir`` of tight.yml as a path, which must stay inside the app."""
    path = Path(root, vendor_dir or "app/vendored")
    if not path.resolve().is_relative_to(Path(root).resolve()):
        raise fail(f"vendor_dir {vendor_dir!r} in tight.yml points outside the app: use a path such as app/vendored.")
    return path
