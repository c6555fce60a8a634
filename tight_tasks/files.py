"""File operations every command goes through: atomic writes, paths that cannot
escape, and the one rule for replacing a directory.

The rule (:func:`check_replaceable`): tight replaces a directory only when it
is missing, empty, or holds the *owner marker* of the command that created it
(``.tight-install.json`` for installdb, ``.tight-platform`` for a vendor dir,
``tight.yml`` for ``generate.app --force``). Never a symbolic link, a file, a
directory holding ``.git``, ``tight.yml`` or ``app/``, the app root, or a
directory that contains the app or its sources. :func:`replace_dir` puts the new
tree in place first and removes the old one after, leaving no ``.tight-old-*``.

Only the stdlib is imported; errors are :class:`RefusedReplace` (one line)
or ``OSError`` for the caller to turn into ``fail()``.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

#: Names of an app's config file: a directory holding one is a tight app.
CONFIG_NAMES = ("tight.yml", "tight.yaml")
#: What marks a directory as the user's own work, whatever marker it holds.
NEVER_OWNED = (".git", ".hg", ".svn")
#: What only an app holds: a directory with one of these is replaced only by generate.app --force.
APP_ENTRIES = (*CONFIG_NAMES, "app")
#: Directories of an app that hold the user's sources.
APP_SOURCES = ("app/functions", "app/models")
#: Empty files that only keep a directory in git (tight's templates write them): they do not make it
#: the user's, and a replacement keeps them.
PLACEHOLDERS = (".gitkeep", ".keep")


class RefusedReplace(Exception):
    """tight will not replace a directory; the message is one line: what is wrong and how to fix it."""


# -- paths -------------------------------------------------------------------------


def inside(base: str | os.PathLike, relative: str | os.PathLike, *, allow_base: bool = False) -> Path | None:
    """``base / relative`` resolved (symlinks followed) if it stays inside ``base``, else None.

    ``relative`` is untrusted (an archive member, a RECORD line, an option): ``..``,
    absolute paths and symlinks leading out all give None. ``base`` itself counts
    as inside only with ``allow_base``.
    """
    root = Path(base).resolve()
    candidate = (root / relative).resolve()
    if candidate == root:
        return candidate if allow_base else None
    return candidate if candidate.is_relative_to(root) else None


def _absolute(path: str | os.PathLike) -> Path:
    """``path`` made absolute with its parent resolved, its own name kept (a link stays a link)."""
    path = Path(path).absolute()
    return path.parent.resolve() / path.name if path.name not in ("", "..") else path.resolve()


# -- writing -----------------------------------------------------------------------


def write_temp(path: str | os.PathLike, data: str | bytes, *, mode: int | None = None) -> Path:
    """Write ``data`` to a new temporary file beside ``path``; rename it onto ``path`` to finish.

    The file gets ``mode``, else the mode of the existing ``path``, else 0644.
    Text is written as UTF-8 with its newlines untouched.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        if mode is None:
            try:
                mode = stat.S_IMODE(path.stat().st_mode)
            except OSError:
                mode = 0o644
        os.chmod(tmp, mode)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def write_atomic(path: str | os.PathLike, data: str | bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` in one rename: readers see the old or the new file, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = write_temp(path, data, mode=mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def remove_tree(path: str | os.PathLike) -> None:
    """Delete a file, a link (not what it points to) or a whole tree, read-only parts included."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():

        def writable_and_retry(function, name, _info):
            with contextlib.suppress(OSError):
                os.chmod(os.path.dirname(name), 0o700)
                if function is not os.rmdir or os.path.isdir(name):
                    os.chmod(name, 0o700)
                function(name)

        if sys.version_info >= (3, 12):
            shutil.rmtree(path, onexc=writable_and_retry)
        else:  # pragma: no cover - Python 3.10/3.11
            shutil.rmtree(path, onerror=writable_and_retry)
    elif path.is_symlink() or path.exists():
        path.unlink()


# -- replacing a directory ---------------------------------------------------------


def _markers(owner_marker: str | tuple[str, ...]) -> tuple[str, ...]:
    names = (owner_marker,) if isinstance(owner_marker, str) else tuple(owner_marker)
    return CONFIG_NAMES if set(names) & set(CONFIG_NAMES) else names


def _placeholder(path: Path) -> bool:
    return path.name in PLACEHOLDERS and path.is_file() and not path.is_symlink() and path.stat().st_size == 0


def why_not_replaceable(target: str | os.PathLike, *, owner_marker: str | tuple[str, ...],
                        app_root: str | os.PathLike | None = None) -> str | None:
    """Why tight may not replace ``target`` (a short clause), or None when it may."""
    target = _absolute(target)
    markers = _markers(owner_marker)
    replaces_app = markers == CONFIG_NAMES
    if target.is_symlink():
        return f"it is a symbolic link (to {os.readlink(target)})"
    if not target.exists():
        return None
    if not target.is_dir():
        return "it is a file, not a directory tight created"
    real = target.resolve()
    if app_root is not None and not replaces_app:
        root = Path(app_root).resolve()
        if real == root:
            return "it is the app's root directory"
        if root.is_relative_to(real):
            return f"it contains the app at {root}"
        for source in APP_SOURCES:
            if (root / source).resolve().is_relative_to(real):
                return f"it contains the app's {source}"
    home = Path(os.path.expanduser("~"))
    if home.is_absolute() and home.resolve().is_relative_to(real):
        return "it contains your home directory"
    try:
        names = sorted(entry.name for entry in os.scandir(target))
    except OSError as exc:
        return f"it cannot be read ({exc.strerror or exc})"
    for name in NEVER_OWNED:
        if name in names:
            return f"it holds {name} (a repository tight did not create)"
    if not [name for name in names if not _placeholder(target / name)]:
        return None
    owned = any((target / m).is_file() and not (target / m).is_symlink() for m in markers)
    if not replaces_app:
        for name in APP_ENTRIES:
            if name in names:
                return f"it holds {name}{'/' if name == 'app' else ''} (it is a tight app or part of one)"
    if not owned:
        example = next((n for n in names if n not in markers), names[0])
        more = f" and {len(names) - 1} more" if len(names) > 1 else ""
        marker = " or ".join(markers)
        return f"it holds files tight did not create ({example}{more}; no {marker})"
    return None


def check_replaceable(target: str | os.PathLike, *, owner_marker: str | tuple[str, ...],
                      app_root: str | os.PathLike | None = None, what: str = "directory",
                      hint: str = "pick another directory, or move it away first") -> None:
    """Raise :class:`RefusedReplace` unless tight may replace ``target`` (see the module doc)."""
    reason = why_not_replaceable(target, owner_marker=owner_marker, app_root=app_root)
    if reason is not None:
        raise RefusedReplace(f"Refusing to replace {_absolute(target)} ({what}): {reason}; {hint}.")


@contextlib.contextmanager
def staging_dir(target: str | os.PathLike) -> Iterator[Path]:
    """A new empty directory beside ``target`` (same file system) to build its replacement in.

    Removed on exit unless :func:`replace_dir` already moved it into place; parent
    directories made for it are removed too when ``target`` never came to be.
    """
    target = _absolute(target)
    missing = [p for p in [target.parent, *target.parent.parents] if not p.exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        staged = Path(tempfile.mkdtemp(prefix=f".{target.name}.tight-new-", dir=target.parent))
        try:
            os.chmod(staged, 0o755)  # mkdtemp makes it 0700
            yield staged
        finally:
            remove_tree(staged)
    finally:
        if not (target.exists() or target.is_symlink()):
            for parent in missing:  # deepest first; only what is still empty
                with contextlib.suppress(OSError):
                    parent.rmdir()


def replace_dir(target: str | os.PathLike, staged: str | os.PathLike, *, owner_marker: str | tuple[str, ...],
                app_root: str | os.PathLike | None = None, what: str = "directory",
                hint: str = "pick another directory, or move it away first") -> Path:
    """Move ``staged`` to ``target``, replacing what is there only if :func:`check_replaceable` allows.

    The new tree takes the name first; the old one is deleted after. On any
    failure the old tree is back under its name and no ``.tight-old-*`` remains.
    Returns the absolute ``target``.
    """
    target, staged = _absolute(target), Path(staged)
    existed = target.exists() or target.is_symlink()
    check_replaceable(target, owner_marker=owner_marker, app_root=app_root, what=what, hint=hint)
    if not existed:
        os.rename(staged, target)  # an empty directory appearing meanwhile is replaced; anything else fails
        return target
    for name in PLACEHOLDERS:  # keep the directory's .gitkeep
        if _placeholder(target / name) and not (staged / name).exists():
            (staged / name).touch()
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.tight-old-", dir=target.parent))
    try:
        os.rename(target, old / target.name)
        try:
            # What was moved aside is what was checked (not something that took the name meanwhile).
            check_replaceable(old / target.name, owner_marker=owner_marker, what=what, hint=hint)
            os.rename(staged, target)
        except BaseException:
            os.rename(old / target.name, target)
            raise
    finally:
        remove_tree(old)
    return target
