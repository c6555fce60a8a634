"""The installers behind ``tight pip.install``: pip or uv, resolving for Lambda.

* :func:`lambda_target` - the runtime/architecture of ``tight.yml`` as wheel
  platform tags (``manylinux_2_34_x86_64`` ... for python3.12+, up to
  ``manylinux2014`` for python3.10/3.11);
* :func:`pip_command` / :func:`uv_command` - installer command lines that
  resolve for that platform, never for the host;
* :func:`choose_installer`, :func:`run_installer` and what their output says
  (:func:`reported_installs`, :func:`missing_package`).

Only the standard library is imported here.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..config import fail, usage_error

ARCHITECTURES = {"x86_64": "x86_64", "amd64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}

#: Python minor versions with a Lambda runtime that tight supports.
RUNTIME_MINORS = range(10, 15)
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
    def architecture(self) -> str:
        """The Lambda spelling of :attr:`arch` (``arm64`` for aarch64)."""
        return "arm64" if self.arch == "aarch64" else self.arch

    @property
    def install_hint(self) -> str:
        """The command that (re)builds a vendor dir for this platform."""
        return f"tight pip.install --requirements --runtime {self.runtime} --architecture {self.architecture}"

    @property
    def label(self) -> str:
        """How the platform is named in messages."""
        return f"{self.runtime} {self.arch} (manylinux_2_{self.glibc_minor})"


def lambda_target(runtime: str, architecture: str) -> LambdaTarget:
    """Wheel platform for a Lambda ``runtime`` (python3.10 ...) and ``architecture``.

    An unknown runtime or architecture is a one-line error naming both places
    it may come from.
    """
    match = re.fullmatch(r"python3\.(\d+)", str(runtime).strip())
    if not match or int(match.group(1)) not in RUNTIME_MINORS:
        known = f"python3.{RUNTIME_MINORS[0]} ... python3.{RUNTIME_MINORS[-1]}"
        raise usage_error(
            f"Unsupported runtime {runtime!r}: use a Lambda Python runtime, {known} "
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


def run_installer(command: list[str]) -> subprocess.CompletedProcess:
    """Run an installer command line, its output (stdout and stderr) captured as text."""
    try:
        return subprocess.run(command, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              errors="replace", stdin=subprocess.DEVNULL)
    except OSError as exc:
        raise fail(f"Cannot run {command[0]}: {exc.strerror or exc}.") from None
