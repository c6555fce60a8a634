"""Fixtures of the pip.install tests: a local wheelhouse, an app, the CLI against them (offline)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import clean_env, run_tight
from vendor_wheels import build_wheel

from tight_tasks._pip import installers

PLATFORM_TAG = {
    "x86_64": "manylinux_2_17_x86_64.manylinux2014_x86_64",
    "aarch64": "manylinux_2_17_aarch64.manylinux2014_aarch64",
}


def uv_usable() -> bool:
    uv = installers.find_uv()
    return bool(uv) and installers.uv_supports(uv, installers.lambda_target("python3.12", "x86_64"))


INSTALLERS = ["pip", pytest.param("uv", marks=pytest.mark.skipif(not uv_usable(), reason="uv is not installed"))]


def elf_header(machine: int) -> bytes:
    """The first bytes of a 64-bit little-endian ELF shared object for ``machine`` (62 x86_64, 183 aarch64)."""
    return b"\x7fELF\x02\x01\x01" + bytes(9) + (3).to_bytes(2, "little") + machine.to_bytes(2, "little") + bytes(44)


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory) -> Path:
    wh = tmp_path_factory.mktemp("wheelhouse")
    build_wheel(wh, "purepkg")
    build_wheel(wh, "solo")
    for py in ("cp310", "cp311", "cp312", "cp313"):
        for plat in PLATFORM_TAG.values():
            build_wheel(wh, "natpkg", tag=f"{py}-{py}-{plat}")
    # glibcpkg 2.0 needs glibc 2.28 (Amazon Linux 2023 only); 3.0 needs 2.35 (no Lambda runtime).
    for arch in ("x86_64", "aarch64"):
        build_wheel(wh, "glibcpkg", "1.0", tag=f"cp310-abi3-{PLATFORM_TAG[arch]}")
        build_wheel(wh, "glibcpkg", "2.0", tag=f"cp310-abi3-manylinux_2_28_{arch}")
        build_wheel(wh, "glibcpkg", "3.0", tag=f"cp310-abi3-manylinux_2_35_{arch}")
    build_wheel(wh, "macpkg", tag="cp312-cp312-macosx_11_0_arm64")
    build_wheel(wh, "needsmac", requires=["macpkg"])
    build_wheel(wh, "boto3", "1.99.0", requires=["botocore", "s3transfer"])
    build_wheel(wh, "botocore", "1.99.0")
    build_wheel(wh, "s3transfer", "0.99.0", requires=["botocore"])
    build_wheel(wh, "usesboto", requires=["boto3"], files={
        "usesboto/__init__.py": "import boto3\n",
        "usesboto-1.0.data/scripts/usesboto-cli": "#!python\nprint('hi')\n",
    })
    (wh / "badzip-1.0-py3-none-any.whl").write_bytes(b"this is not a zip file")
    # What building a local path on an x86_64 laptop with Python 3.11 leaves: a host binary in a "pure" wheel,
    # and what an editable install leaves: a finder pointing at the laptop's checkout.
    build_wheel(wh, "hostbuilt", files={"hostbuilt/__init__.py": "from .cmod import x\n",
                                        "hostbuilt/cmod.cpython-311-x86_64-linux-gnu.so": elf_header(62)})
    build_wheel(wh, "linkedpkg", files={
        "__editable___linkedpkg_1_0_finder.py": "MAPPING = {'linkedpkg': '/home/me/src/linkedpkg'}\n",
        "__editable__.linkedpkg-1.0.pth": "import __editable___linkedpkg_1_0_finder\n"})
    return wh


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    """No pip/uv configuration from this machine: only the wheelhouse counts."""
    base = {k: v for k, v in clean_env().items() if not k.startswith(("PIP_", "UV_"))}
    base.update(PIP_CONFIG_FILE=os.devnull, UV_NO_CONFIG="1",
                UV_CACHE_DIR=str(tmp_path_factory.mktemp("uv-cache")), PYTHONDONTWRITEBYTECODE="1")
    return base


@pytest.fixture
def make_app(tmp_path):
    def make(runtime="python3.12", architecture="x86_64", requirements: str | None = None) -> Path:
        root = tmp_path / "svc"
        (root / "app").mkdir(parents=True)
        (root / "tight.yml").write_text(
            f"name: svc\nvendor_dir: app/vendored\nruntime: {runtime}\narchitecture: {architecture}\n")
        if requirements is not None:
            (root / "requirements-vendor.txt").write_text(requirements)
        return root

    return make


@pytest.fixture
def install(wheelhouse, env):
    def run(root: Path, *args: str, installer: str = "pip", cwd: Path | None = None):
        return run_tight("pip.install", *args, "--no-index", "--find-links", str(wheelhouse),
                         "--installer", installer, cwd=cwd or root, env=env)

    return run


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}
