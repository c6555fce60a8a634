"""`tight pip.install requests PyYAML`: uv against pip (warm cache), and what pruning saves.

Downloads from PyPI on the first run (that run warms the caches and is not timed).
"""
import shutil
from pathlib import Path

from .common import PY, Figure, median_interleaved, wall

PACKAGES = ["requests", "PyYAML"]


def _app(tmp: Path, name: str) -> Path:
    root = tmp / name
    (root / "app").mkdir(parents=True)
    (root / "tight.yml").write_text(f"name: {name}\nvendor_dir: app/vendored\nruntime: python3.12\n"
                                    "architecture: x86_64\n")
    (root / "app_index.py").write_text("")
    return root


def _size(directory: Path) -> float:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / 1e6


def run(tmp):
    from tight_tasks._pip.installers import find_uv, lambda_target, uv_supports

    tight = [PY, "-m", "tight_tasks", "pip.install"]
    installers = ["pip"]
    uv = find_uv()
    if uv and uv_supports(uv, lambda_target("python3.12", "x86_64")):
        installers.append("uv")
    apps = {name: _app(tmp, f"svc-{name}") for name in installers}

    def install(name):
        return lambda: wall([*tight, *PACKAGES, "--installer", name], cwd=apps[name])

    def clean():
        for root in apps.values():
            shutil.rmtree(root / "app" / "vendored", ignore_errors=True)
            (root / "requirements-vendor.txt").unlink(missing_ok=True)

    for name in installers:  # warm the caches
        install(name)()
    if "uv" in installers:
        uv_time, pip_time = median_interleaved(install("uv"), install("pip"), setup=clean)
        yield Figure("pip.install requests PyYAML with uv (warm cache)", uv_time, "with pip", pip_time)
    else:
        (pip_time,) = median_interleaved(install("pip"), setup=clean)
        yield Figure("pip.install requests PyYAML with pip (warm cache; uv not installed)", pip_time, "itself",
                     pip_time)

    # Adding one package resolves it together with requirements-vendor.txt and rebuilds the vendor dir:
    # what that costs against the first install of the file's packages.
    fast = installers[-1]
    root = apps[fast]

    def seed():
        clean()
        (root / "requirements-vendor.txt").write_text("requests\nPyYAML\n")
        wall([*tight, "--requirements", "--installer", fast], cwd=root)

    def first():
        return wall([*tight, "--requirements", "--installer", fast], cwd=root)

    def add_one():
        return wall([*tight, "six", "--installer", fast], cwd=root)

    first_time, = median_interleaved(first, setup=seed)
    add_time, = median_interleaved(add_one, setup=seed)
    yield Figure(f"pip.install six into an app vendoring requests PyYAML ({fast}, one resolution)", add_time,
                 "pip.install --requirements (requests PyYAML)", first_time)

    # Size of the vendor dir with boto3 among the dependencies, pruned or kept.
    fast = installers[-1]
    sizes = {}
    zips = {}
    for keep in (False, True):
        root = _app(tmp, f"size-{keep}")
        flags = ["--keep-boto3"] if keep else []
        wall([*tight, *PACKAGES, "boto3", "--installer", fast, *flags], cwd=root)
        sizes[keep] = _size(root / "app" / "vendored")
        wall([PY, "-m", "tight_tasks", "generate.artifact"], cwd=root)
        zips[keep] = (root / "builds" / f"size-{keep}.zip").stat().st_size / 1e6
    yield Figure("vendor dir, requests PyYAML boto3, pruned", sizes[False], "with --keep-boto3", sizes[True],
                 unit=" MB")
    yield Figure("artifact zip, requests PyYAML boto3, pruned", zips[False], "with --keep-boto3", zips[True],
                 unit=" MB")
