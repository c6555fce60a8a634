"""Timing helpers shared by the benchmarks."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_RUNS", "7"))


@dataclass
class Figure:
    name: str
    value: float
    baseline_name: str
    baseline: float
    unit: str = "s"
    target: float | None = None  # maximum ratio, when the issue sets one
    runs: int | None = None  # samples behind the median, when not RUNS

    def line(self) -> str:
        ratio = self.value / self.baseline if self.baseline else float("inf")
        verdict = ""
        if self.target is not None:
            verdict = f"  target <= {self.target:.2f}x: {'ok' if ratio <= self.target else 'MISSED'}"
        return (f"{self.name}: {self.value:.4g}{self.unit} (median of {self.runs or RUNS})  baseline {self.baseline_name}: "
                f"{self.baseline:.4g}{self.unit}  ratio {ratio:.2f}x{verdict}")


def wall(argv: list[str], cwd=None, env=None) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if done.returncode:
        raise SystemExit(f"{argv[:4]} failed:\n{done.stderr.decode(errors='replace')[-2000:]}")
    return time.perf_counter() - start


def cpu(argv: list[str], cwd=None, env=None) -> float:
    """CPU time (user + system) of a child process: steadier than :func:`wall` on a busy machine, and the
    same thing for work that never waits (a cold start against a local server waits microseconds)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, cwd=cwd, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"{argv[:4]} failed:\n{done.stderr.decode(errors='replace')[-2000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median_interleaved(*commands, runs: int = RUNS, setup=None) -> list[float]:
    """Median wall time of each callable, run alternately ``runs`` times."""
    samples: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for i, command in enumerate(commands):
            if setup:
                setup()
            samples[i].append(command())
    return [statistics.median(s) for s in samples]


PY = sys.executable


def generated_app(tmp: Path, function: list[str], hand_written: str) -> Path:
    """``tight generate.app svc`` + ``generate.function <function...>``, vendored runtime and packaged env,
    and ``hand_written.py`` (the no-framework handler a figure is compared with) beside ``app_index.py``."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp)}
    for args, cwd in ((["generate.app", "svc"], tmp), (["generate.function", *function], tmp / "svc")):
        subprocess.run([PY, "-m", "tight_tasks", *args], cwd=cwd, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    root = tmp / "svc"
    from tight_tasks._pip.vendordir import copy_runtime

    copy_runtime(root / "app" / "vendored")
    (root / "tight_env.json").write_text('{"CI": false, "NAME": "svc", "STAGE": "dev"}\n', encoding="utf-8")
    (root / "hand_written.py").write_text(hand_written, encoding="utf-8")
    return root
