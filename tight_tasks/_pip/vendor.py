"""``tight pip.install``: vendor an app's dependencies for the Lambda platform.

:func:`vendor_install` is the whole command. One install runs at a time per
app (:mod:`lockfile`). Every install resolves the named packages together with
every line of ``requirements-vendor.txt`` (one resolution, consistent
versions) into a staging directory next to the vendor dir, finishes it there
(:mod:`vendordir`: prune, check the binaries, copy the runtime, mark the
platform), then swaps it in and appends the new names to the file. The
pieces live in :mod:`installers`, :mod:`requirements` and :mod:`vendordir`.

Only the standard library is imported here.
"""
from __future__ import annotations

import contextlib
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path

from .. import console, files, lockfile
from ..config import fail, usage_error
from .installers import (
    IndexOptions,
    LambdaTarget,
    choose_installer,
    lambda_target,
    missing_package,
    pip_command,
    reported_installs,
    run_installer,
    uv_command,
)
from .requirements import (
    REQUIREMENTS_FILE,
    add_requirements,
    check_packages,
    check_requirements,
    read_text,
)
from .vendordir import (
    PLATFORM_MARKER,
    check_target,
    copy_runtime,
    dist_infos,
    foreign_binaries,
    prune,
    remove_stale_staging,
    size_warning,
    tree_size,
)

#: The lock file of pip.install, in the app root while an install runs.
LOCK_FILE = ".tight-pip.lock"


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


@dataclass
class Install:
    """One pip.install: where, what and how."""

    root: Path
    directory: Path
    req_path: Path
    platform: LambdaTarget
    packages: list[str]
    keep_boto3: bool
    installer: tuple[str, str | None]
    index: IndexOptions
    echo: object = console.say
    committed: bool = False
    report: dict = field(default_factory=dict)

    def shown(self, path: Path) -> str:
        return _display(path, self.root)

    def command(self, staging: Path) -> list[str]:
        args = (["-r", str(self.req_path)] if self.req_path.is_file() else []) + self.packages
        kind, uv = self.installer
        if kind == "uv":
            return uv_command(uv, staging, self.platform, args, self.index)
        return pip_command(staging, self.platform, args, self.index)


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
    echo=console.say,
) -> Path:
    """Rebuild the vendor dir from ``packages`` plus the requirements file, in one resolution.

    Relative ``target`` and ``requirements_file`` are taken from ``root``. The
    result replaces the vendor dir, and the new names are appended to the
    requirements file, only once everything succeeded.
    """
    root = Path(root)
    packages = check_packages(packages or [])
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
    job = Install(root, directory, req_path, platform, packages, keep_boto3,
                  choose_installer(installer, platform), IndexOptions(index_url, find_links, no_index), echo)
    try:
        with lockfile.hold(root / LOCK_FILE, "pip.install", echo):
            check_target(directory, root)  # again: another install may have run meanwhile
            check_requirements(req_path, job.shown(req_path))
            _install(job)
    except KeyboardInterrupt:
        if job.committed:
            raise fail("pip.install interrupted after the install had completed.", 130) from None
        raise fail("pip.install interrupted, nothing changed.", 130) from None
    _report(job)
    return directory


def _install(job: Install) -> None:
    """Build the new vendor dir in a staging dir, then swap it and the requirements file in."""
    directory = job.directory
    old_text = read_text(job.req_path) if job.req_path.is_file() else ""
    what = ", ".join(job.packages)
    if job.req_path.is_file():
        what += (" + " if what else "") + job.shown(job.req_path)
    echo = job.echo
    echo(f"Installing {what} into {job.shown(directory)} for Lambda {job.platform.label} with {job.installer[0]}...")
    created_parent = None
    if not directory.parent.exists():
        created_parent = next(p for p in reversed([directory.parent, *directory.parent.parents]) if not p.exists())
    for leftover in remove_stale_staging(directory, max_age=0):  # we hold the lock: nothing else is installing
        echo(f"Removed {leftover}, left behind by an interrupted install")
    req_tmp = None
    try:
        with files.staging_dir(directory) as staging:
            _build(job, staging)
            new_text, job.report["added"] = add_requirements(old_text, job.packages)
            if job.report["added"]:  # written now, renamed into place right after the vendor dir
                req_tmp = files.write_temp(job.req_path, new_text)
            with _no_interrupt():
                try:
                    files.replace_dir(directory, staging, owner_marker=PLATFORM_MARKER, app_root=job.root,
                                      what="vendor dir", hint="choose another --target")
                except files.RefusedReplace as exc:
                    raise usage_error(str(exc)) from None
                if req_tmp is not None:
                    os.replace(req_tmp, job.req_path)
                job.committed = True
    except BaseException:
        if req_tmp is not None:
            req_tmp.unlink(missing_ok=True)
        if created_parent is not None and not directory.exists():
            files.remove_tree(created_parent)
        raise


def _build(job: Install, staging: Path) -> None:
    """Install into ``staging`` and finish it: prune, check binaries, copy the runtime, mark the platform."""
    kind = job.installer[0]
    result = run_installer(job.command(staging))
    unchanged = f"{job.shown(job.directory)} and {job.shown(job.req_path)} are unchanged"
    if result.returncode != 0:
        console.warn(result.stdout.rstrip("\n"))  # the installer's own words, then ours
        missing = missing_package(result.stdout)
        if missing:
            raise fail(
                f"No compatible wheel of {missing} for Lambda {job.platform.label}: check the name, or pick a "
                f"version or package with Linux wheels for this platform ({unchanged})."
            )
        raise fail(f"{kind} install failed (exit code {result.returncode}, output above); {unchanged}.")
    removed, caches = prune(staging, keep_boto3=job.keep_boto3)
    foreign = foreign_binaries(staging, job.platform)
    if foreign:
        path, why = foreign[0]
        more = f" (and {len(foreign) - 1} more)" if len(foreign) > 1 else ""
        raise fail(
            f"{path}{more} cannot run on Lambda {job.platform.label}: {why}. A local path or sdist was built on "
            f"this machine; vendor a wheel built for the Lambda platform instead ({unchanged})."
        )
    gone = {r.rstrip("/").removesuffix(".py").lower() for r in removed}
    installed = reported_installs(result.stdout) or sorted(
        f"{project} {version}" for project, version in dist_infos(staging).values())
    job.report.update(
        installed=[i for i in installed if i.split()[0].lower().replace("_", "-") not in gone],
        removed=removed, caches=caches)
    copy_runtime(staging)
    (staging / PLATFORM_MARKER).write_text(job.platform.key + "\n", encoding="utf-8")


@contextlib.contextmanager
def _no_interrupt():
    """Hold Ctrl-C back while the vendor dir and the requirements file are swapped in."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _report(job: Install) -> None:
    echo, report, shown_dir = job.echo, job.report, job.shown(job.directory)
    if report["installed"]:
        echo("Installed: " + ", ".join(report["installed"]))
    removed = report["removed"]
    provided = [r for r in removed if r.rstrip("/") != "bin"]
    if provided:
        echo("Removed (provided by the Lambda runtime): " + ", ".join(provided))
    dropped = (["bin/"] if "bin/" in removed else []) + ([f"{report['caches']} __pycache__ dirs"]
                                                          if report["caches"] else [])
    if dropped:
        echo("Removed: " + ", ".join(dropped))
    echo(f"Copied the tight runtime into {shown_dir}/tight")
    if report["added"]:
        echo(f"Added to {job.shown(job.req_path)}: " + ", ".join(report["added"]))
    size, files = tree_size(job.directory)
    echo(f"{shown_dir}: {console.human_size(size)} ({size:,} bytes) in {files} files")
    message = size_warning(size, shown_dir)
    if message:
        console.warn(message)


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
