"""``requirements-vendor.txt``: what an app vendors, as pip reads it.

* :func:`requirement_name` / :func:`requirement_names_in` / :func:`requirement_lines_in` - project names and
  requirement lines of the file (and the files it includes);
* :func:`add_requirements` - append named packages, keeping every other line;
* :func:`check_packages` - package names given on the command line;
* :func:`check_requirements` - lines that cannot be vendored (``-e``), also in
  files it includes with ``-r``.

Only the standard library is imported here.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..config import fail, usage_error

REQUIREMENTS_FILE = "requirements-vendor.txt"

_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
_EDITABLE = re.compile(r"(-e|--editable)(\s|=|$)")
_INCLUDE = re.compile(r"(?:-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+)(\S+)")


def normalize(name: str) -> str:
    """PEP 503 normalized project name (``Foo_Bar`` -> ``foo-bar``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _strip(line: str) -> str:
    return line.split(" #", 1)[0].strip()


def requirement_name(line: str) -> str | None:
    """Normalized project name of a requirements line (None for comments, options, paths, URLs)."""
    text = _strip(line)
    if not text or text.startswith(("#", "-")) or "://" in text.split("@", 1)[0] or "/" in text.split("@", 1)[0]:
        return None
    match = _NAME.match(text)
    return normalize(match.group(1)) if match else None


def requirement_lines_in(path: Path, _seen: frozenset = frozenset()) -> list[str]:
    """The requirement lines (comments stripped) of the file at ``path`` and the files it includes with ``-r``
    (not ``-c``): only lines that name a project (``flywheel==0.5.4``, ``six>=1.5; python_version < "4"``)."""
    resolved = Path(path).resolve()
    if resolved in _seen or not resolved.is_file():
        return []
    lines: list[str] = []
    for line in read_text(resolved).splitlines():
        include = _INCLUDE.match(_strip(line))
        if include and _strip(line).startswith(("-r", "--requirement")):
            lines += requirement_lines_in(resolved.parent / include.group(1), _seen | {resolved})
        elif requirement_name(line):
            lines.append(_strip(line))
    return lines


def requirement_names_in(path: Path) -> list[str]:
    """Project names required by the file at ``path`` and the files it includes with ``-r`` (not ``-c``)."""
    return list(dict.fromkeys(requirement_name(line) for line in requirement_lines_in(path)))


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


def check_packages(packages: list[str]) -> list[str]:
    """The package names of the command line, without blanks and repeats; options and ``-e`` refused."""
    cleaned = list(dict.fromkeys(p.strip() for p in packages if p.strip()))
    for spec in cleaned:
        if spec.startswith("-"):
            raise usage_error(
                f"{spec!r} is not a package name: installer options cannot be passed as packages "
                "(see `tight --help pip.install` for the options tight passes on)."
            )
        if any(c in spec for c in "\n\r"):
            raise usage_error(f"{spec!r} is not a package name: it spans several lines.")
    return cleaned


def read_text(path: Path) -> str:
    """A requirements file's text, exactly (line endings kept); a one-line error when unreadable."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise fail(f"Cannot read {path}: {why}; fix the file and retry.") from None


def check_requirements(path: Path, shown: str, _seen: frozenset = frozenset()) -> None:
    """Refuse editable (``-e``) lines in ``path`` and the files it includes (``-r``/``-c``).

    An editable install leaves a link to a directory of this machine in the
    vendor dir, which does not exist on Lambda.
    """
    resolved = Path(path).resolve()
    if resolved in _seen or not resolved.is_file():
        return
    for number, line in enumerate(read_text(resolved).splitlines(), 1):
        text = _strip(line)
        if _EDITABLE.match(text):
            raise fail(
                f"{shown} line {number}: editable installs ({text.split()[0]}) cannot be vendored: Lambda gets a "
                "copy of the vendor dir, and an editable install is a link to a directory on this machine; "
                "name the package or its path without -e."
            )
        include = _INCLUDE.match(text)
        if include:
            nested = resolved.parent / include.group(1)
            check_requirements(nested, include.group(1), _seen | {resolved})
