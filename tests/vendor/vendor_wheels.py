"""Build tiny wheels for the vendoring tests (no network, no build backend).

A wheel is a zip with the package's files plus ``<name>-<version>.dist-info``
holding METADATA, WHEEL (one ``Tag:`` line per tag) and RECORD.
"""
from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def build_wheel(
    wheelhouse: Path,
    name: str,
    version: str = "1.0",
    tag: str = "py3-none-any",
    files: dict[str, str | bytes] | None = None,
    requires: list[str] | tuple[str, ...] = (),
) -> Path:
    """Write ``<name>-<version>-<tag>.whl`` into ``wheelhouse`` and return its path.

    ``files`` maps archive paths to text; by default a module ``<name>/__init__.py``
    recording the wheel's tag (so a test can see which wheel was installed).
    ``tag`` may be a compressed tag set (``cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64``).
    """
    wheelhouse.mkdir(parents=True, exist_ok=True)
    project = name.replace("-", "_")
    if files is None:
        files = {f"{project}/__init__.py": f"NAME = {name!r}\nVERSION = {version!r}\nTAG = {tag!r}\n"}
    dist_info = f"{project}-{version}.dist-info"
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    metadata += [f"Requires-Dist: {req}" for req in requires]
    python, abi, platforms = tag.split("-")
    tags = [f"{p}-{a}-{plat}" for p in python.split(".") for a in abi.split(".") for plat in platforms.split(".")]
    wheel_meta = ["Wheel-Version: 1.0", "Generator: tight-tests", f"Root-Is-Purelib: {str(tag.endswith('any')).lower()}"]
    wheel_meta += [f"Tag: {t}" for t in tags]
    contents = {path: text if isinstance(text, bytes) else text.encode() for path, text in files.items()}
    contents[f"{dist_info}/METADATA"] = ("\n".join(metadata) + "\n").encode()
    contents[f"{dist_info}/WHEEL"] = ("\n".join(wheel_meta) + "\n").encode()
    record = [f"{path},{_record_hash(data)},{len(data)}" for path, data in contents.items()]
    record.append(f"{dist_info}/RECORD,,")
    contents[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = wheelhouse / f"{project}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname, data in contents.items():
            zf.writestr(arcname, data)
    return path


def wheel_from_installed(wheelhouse: Path, dist_name: str) -> Path:
    """A pure wheel of an installed distribution (its RECORD-listed files), built offline."""
    from importlib.metadata import distribution

    dist = distribution(dist_name)
    files: dict[str, bytes] = {}
    for entry in dist.files or []:
        rel = entry.as_posix()
        if rel.startswith("..") or ".dist-info/" in rel or rel.endswith((".pyc", ".pyo")) or "__pycache__" in rel:
            continue
        path = Path(dist.locate_file(entry))
        if path.is_file():
            files[rel] = path.read_bytes()
    entry_points = dist.read_text("entry_points.txt")
    if entry_points:  # setuptools finds its commands through them
        files[f"{dist.metadata['Name'].replace('-', '_')}-{dist.version}.dist-info/entry_points.txt"] = entry_points.encode()
    requires = [r for r in dist.requires or [] if "extra ==" not in r]
    return build_wheel(wheelhouse, dist.metadata["Name"], dist.version, files=files, requires=requires)
