"""`pip install .` into a fresh venv: wall time and venv size, lean (this tree) against the old moto[server] set.

Slow (minutes: each install builds tight-cli and installs ~40-70 packages), so it runs only when asked for:
`inv bench --only install` (or `python -m bench install`). Both sets are installed once untimed to warm
pip's cache, then timed alternately; the baseline is the same tree plus `moto[server]`, which is what
tight-cli depended on before.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from .common import PY, REPO, Figure

#: Run only when selected by name (python -m bench install).
EXPLICIT = True
RUNS = int(os.environ.get("BENCH_INSTALL_RUNS", "3"))
OLD_SET = ["moto[server]>=5"]


def _venv_size(venv: Path) -> float:
    total = 0
    for dirpath, _, filenames in os.walk(venv):
        for name in filenames:
            total += os.lstat(os.path.join(dirpath, name)).st_size
    return total / 1e6


def _install(tmp: Path, extra: list[str]) -> tuple[float, float, int]:
    """Wall seconds of `pip install . EXTRA` into a new venv, the venv's MB and its number of packages."""
    venv = tmp / "venv"
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([PY, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip"]
    start = time.perf_counter()
    subprocess.run([*pip, "install", "-q", "--disable-pip-version-check", str(REPO), *extra], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    listed = subprocess.run([*pip, "list", "--format=freeze", "--disable-pip-version-check"], check=True,
                            capture_output=True, text=True).stdout.split()
    size = _venv_size(venv)
    shutil.rmtree(venv, ignore_errors=True)
    return seconds, size, len(listed)


def run(tmp):
    variants = {"lean": [], "old": OLD_SET}
    for extra in variants.values():  # warm pip's cache and wheel builds
        _install(tmp, extra)
    samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name in variants}
    for _ in range(RUNS):
        for name, extra in variants.items():
            samples[name].append(_install(tmp, extra))

    def median(name, index):
        values = sorted(sample[index] for sample in samples[name])
        return values[len(values) // 2]

    yield Figure(f"pip install . into a fresh venv (lean: {median('lean', 2)} packages)", median("lean", 0),
                 f"with moto[server] ({median('old', 2)} packages)", median("old", 0), runs=RUNS)
    yield Figure("venv size after pip install . (lean)", median("lean", 1), "with moto[server]", median("old", 1),
                 unit=" MB", runs=RUNS)
