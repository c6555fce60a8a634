"""Bytecode for the zip, compiled by the Lambda runtime's Python version.

Lambda's ``/var/task`` is read-only, so a zip that ships only source is compiled on
every cold start. :func:`find_python` finds an interpreter of the runtime's minor
version (bytecode is version-specific): on PATH (``python3.12``), through
``uv python find``, or in pyenv's versions directory; each candidate is asked its
version (pyenv's shims name versions they cannot run). :func:`compile_sources`
runs that interpreter's ``compileall`` over a copy of the sources with
unchecked-hash invalidation (no timestamps: the same sources give the same bytes,
and Python never re-reads the source to check the cache), recording
``/var/task/<path>`` as each module's file name for tracebacks.

Only the standard library is imported here.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: Where Lambda unpacks the zip: the file names the bytecode records.
TASK_ROOT = "/var/task"
PROBE = "import sys; print('%d.%d' % sys.version_info[:2])"


def _version_of(python: str) -> str | None:
    try:
        probe = subprocess.run([python, "-I", "-c", PROBE], capture_output=True, text=True, timeout=30,
                               check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    return probe.stdout.strip() if probe.returncode == 0 else None


def _uv_found(version: str) -> str | None:
    from .installers import find_uv

    uv = find_uv()
    if not uv:
        return None
    try:
        found = subprocess.run([uv, "python", "find", "--no-project", version], capture_output=True, text=True,
                               timeout=30, check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    return (found.stdout.strip() or None) if found.returncode == 0 else None


def _pyenv_versions(version: str) -> list[str]:
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    found = sorted(root.glob(f"{version}.*"), key=lambda p: [int(x) if x.isdigit() else 0 for x in
                                                             p.name.split(".")], reverse=True)
    return [str(p / "bin" / f"python{version}") for p in found]


def find_python(version: str) -> str | None:
    """An interpreter of Python ``version`` (``"3.12"``) on this machine, or None."""
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == version:
        return sys.executable
    candidates = [shutil.which(f"python{version}")]
    candidates += [str(p) for p in (_uv_found(version),) if p]
    candidates += _pyenv_versions(version)
    for candidate in dict.fromkeys(c for c in candidates if c):
        if os.access(candidate, os.X_OK) and _version_of(candidate) == version:
            return candidate
    return None


def cache_name(arcname: str, version: str) -> str:
    """``app/x.py`` -> ``app/__pycache__/x.cpython-312.pyc`` (where the interpreter looks for it)."""
    directory, _, name = arcname.rpartition("/")
    tag = "cpython-" + version.replace(".", "")
    cached = f"__pycache__/{name[:-3]}.{tag}.pyc"
    return f"{directory}/{cached}" if directory else cached


def compile_sources(python: str, version: str, sources: dict[str, Path]) -> dict[str, bytes]:
    """``{cache arcname: bytecode}`` of the ``.py`` entries of ``sources`` (``{arcname: file}``).

    Modules the interpreter cannot compile (Python 2 files some packages carry) get
    no bytecode and ship as source only.
    """
    modules = {name: path for name, path in sources.items() if name.endswith(".py")}
    compiled: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="tight-bytecode-") as tmp:
        staging = Path(tmp)
        for name, path in modules.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, staging / name)
        command = [python, "-I", "-m", "compileall", "-qq", "--invalidation-mode", "unchecked-hash",
                   "-s", str(staging), "-p", TASK_ROOT, str(staging)]
        subprocess.run(command, capture_output=True, check=False, stdin=subprocess.DEVNULL, timeout=600)
        for name in modules:
            cached = staging / cache_name(name, version)
            if cached.is_file():
                compiled[cache_name(name, version)] = cached.read_bytes()
    return compiled
