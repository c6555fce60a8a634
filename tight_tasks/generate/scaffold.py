"""Render template trees (``templates/<kind>/``) into apps, atomically.

A template tree mirrors what it generates: every file ends in ``.j2`` and is
rendered with jinja2; ``{name}``-style placeholders in paths are filled from
the same variables. Nothing is written until every file has rendered, and no
rendered path may leave the destination.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path, PurePosixPath

from .. import naming
from .._version import __version__
from ..config import fail, usage_error
from ..files import RefusedReplace, check_replaceable, inside, replace_dir, staging_dir

PROVIDERS = {"aws": {"app": ("lambda",),
                     "function": ("lambda_proxy", "sqs", "schedule", "s3", "dynamodb_stream", "authorizer")}}
RUNTIMES = ("python3.10", "python3.11", "python3.12", "python3.13", "python3.14")
ARCHITECTURES = ("x86_64", "arm64")


def templates_dir() -> Path:
    """``templates/`` inside the installed package, or at the checkout's top."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "templates", package.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise fail(f"tight's templates are missing (looked in {package}); reinstall tight-cli.")


def render_tree(kind: str, variables: dict) -> dict[PurePosixPath, str]:
    """Render ``templates/<kind>`` into ``{relative path: text}`` (nothing written)."""
    import jinja2

    root = templates_dir() / kind
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    out: dict[PurePosixPath, str] = {}
    for path in sorted(root.rglob("*.j2")):
        relative = path.relative_to(root).as_posix()
        target = PurePosixPath(relative[: -len(".j2")].format_map(variables))
        if target.is_absolute() or ".." in target.parts or not target.parts:
            raise fail(f"Template path {relative!r} escapes the destination; the template set is broken.")
        out[target] = env.get_template(relative).render(**variables)
    return out


def write_files(files: dict[PurePosixPath, str], staging: Path) -> None:
    for relative, text in files.items():
        destination = staging.joinpath(*relative.parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(text, encoding="utf-8")


def _check_choice(value: str, allowed, what: str, option: str) -> None:
    if value not in allowed:
        allowed = list(allowed)
        choices = " or ".join([", ".join(allowed[:-1]), allowed[-1]] if len(allowed) > 1 else allowed)
        raise usage_error(f"Unsupported {what} {value!r}: use {option} {choices}.")


# -- generate.app ------------------------------------------------------------
def generate_app(
    name: str,
    provider: str = "aws",
    app_type: str = "lambda",
    target: str | None = None,
    runtime: str = "python3.12",
    architecture: str = "x86_64",
    force: bool = False,
) -> Path:
    from .origin import direct_url, requirement_lines

    naming.check_app_name(name)
    _check_choice(provider, tuple(PROVIDERS), "provider", "--provider")
    _check_choice(app_type, PROVIDERS[provider]["app"], "app type", "--type")
    _check_choice(runtime, RUNTIMES, "runtime", "--runtime")
    _check_choice(architecture, ARCHITECTURES, "architecture", "--architecture")
    parent = Path(target or os.getcwd()).resolve()
    if not parent.is_dir():
        raise fail(f"Target directory {parent} does not exist: create it first or pick another --target.")
    destination = parent / name
    if (destination.exists() or destination.is_symlink()) and not force:
        raise fail(f"{destination} already exists: pick another name, or pass --force to replace it.")
    if force:
        _check_force(destination)
    files = render_tree(
        "app",
        {
            "name": name,
            "app_name": naming.dasherize(name),
            "provider": provider,
            "runtime": runtime,
            "architecture": architecture,
            "tight_version": __version__,
            "tight_requirement": "\n".join(requirement_lines(__version__, direct_url())),
        },
    )
    try:
        with staging_dir(destination) as staging:
            write_files(files, staging)
            replace_dir(destination, staging, owner_marker="tight.yml", what="generate.app --force",
                        hint=FORCE_HINT)
    except RefusedReplace as exc:  # the destination changed while the app was rendered
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"Cannot create {destination}: {exc.strerror or exc}; check that you may write to {parent} "
                   "(nothing was written).") from None
    print(f"Created app {naming.dasherize(name)} in {destination}")
    print(f"Next: cd {destination} && tight generate.function my_controller")
    return destination


FORCE_HINT = ("--force replaces only an existing tight app (a directory holding tight.yml, without a repository): "
              "pick another name or --target, or move the directory away first")


def _check_force(destination: Path) -> None:
    """``--force`` replaces an existing tight app, nothing else (one-line refusal, nothing touched)."""
    try:
        check_replaceable(destination, owner_marker="tight.yml", what="generate.app --force", hint=FORCE_HINT)
    except RefusedReplace as exc:
        raise fail(str(exc)) from None


# -- files added to an existing app ------------------------------------------
def add_files(app_root: Path, files: dict[PurePosixPath, str], force: bool, what: str) -> list[Path]:
    """Write ``files`` into ``app_root``; refuse existing ones unless ``force``.

    Everything is rendered to a staging directory inside the app first, then
    each file is renamed into place (a replaced file is kept in the staging
    directory until all are in), so a failure leaves the app as it was.
    """
    targets = {rel: app_root.joinpath(*rel.parts) for rel in files}
    escaping = [rel for rel in files if inside(app_root, rel) is None]
    if escaping:
        raise fail(f"{app_root.joinpath(*escaping[0].parts)} leads outside the app (a symbolic link?): "
                   f"{what} was not written; make its folders plain directories.")
    existing = [path for path in targets.values() if path.exists()]
    if existing and not force:
        shown = existing[0].relative_to(app_root)
        raise fail(f"{what} already exists ({shown}): pass --force to overwrite it.")
    staging = Path(tempfile.mkdtemp(prefix=".tight-", dir=app_root))
    done: list[tuple[Path, Path | None]] = []  # (destination, where its old file was kept)
    made: list[Path] = []  # directories created on the way
    try:
        write_files(files, staging)
        old = staging / ".old"
        for number, (rel, destination) in enumerate(targets.items()):
            _make_parents(destination.parent, made)
            kept = None
            if destination.is_file() or destination.is_symlink():
                kept = old / str(number)
                kept.parent.mkdir(exist_ok=True)
                os.replace(destination, kept)
            done.append((destination, kept))
            os.replace(staging.joinpath(*rel.parts), destination)
    except BaseException:
        _undo(done, made)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return list(targets.values())


def _make_parents(folder: Path, made: list[Path]) -> None:
    """``mkdir -p folder``, appending each directory it creates to ``made`` (deepest last)."""
    missing = [path for path in (folder, *folder.parents) if not path.exists()]
    for path in reversed(missing):
        path.mkdir()
        made.append(path)


def _undo(done: list[tuple[Path, Path | None]], made: list[Path]) -> None:
    """Put back what :func:`add_files` replaced and remove what it created (best effort)."""
    for destination, kept in reversed(done):
        try:
            if kept is not None and kept.exists():
                os.replace(kept, destination)
            elif kept is None:
                destination.unlink(missing_ok=True)
        except OSError:
            pass
    for folder in reversed(made):
        try:
            folder.rmdir()
        except OSError:
            pass


def _require_dir(app_root: Path, relative: str) -> None:
    if not (app_root / relative).is_dir():
        raise fail(f"{app_root / relative} is missing: is {app_root} a tight app? (create one with tight generate.app NAME)")


# -- generate.function -------------------------------------------------------
def generate_function(
    app_root: Path, name: str, provider: str = "aws", function_type: str = "lambda_proxy", force: bool = False,
    table: str | None = None,
) -> None:
    naming.check_function_name(name)
    _check_choice(provider, tuple(PROVIDERS), "provider", "--provider")
    _check_choice(function_type, PROVIDERS[provider]["function"], "function type", "--type")
    _require_dir(app_root, "app/functions")
    if (app_root / "app" / "functions" / name).exists() and not force:
        raise fail(f"Function {name} already exists in app/functions: pick another name, or pass --force.")
    from . import function_types

    planned = function_types.plan(app_root, name, function_type, table)
    files = render_tree(planned.kind, planned.variables)
    add_files(app_root, files, force, f"Function {name}")
    planned.record()
    tests = [str(rel) for rel in files if rel.name.startswith("test_") and rel.suffix == ".py"]
    print(f"Generated function {name}; running its tests:", flush=True)
    code = run_pytest(app_root, sorted(tests))
    if code != 0:
        raise fail(
            f"Function {name} was generated, but its tests failed (exit {code}, output above): "
            "fix them and rerun `python -m pytest`."
        )
    print("Successfully generated function and tests!")


def run_pytest(app_root: Path, tests: list[str]) -> int:
    """Run pytest on ``tests`` in this interpreter (in-process: one start-up fewer); return its exit code."""
    import pytest

    previous = os.getcwd()
    os.chdir(app_root)
    try:
        # tight_tasks is already imported, so pytest cannot assertion-rewrite
        # this distribution's modules; that is expected, not worth a warning.
        quiet = ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
        return int(pytest.main(["--rootdir", str(app_root), *quiet, *tests]))
    finally:
        os.chdir(previous)
        sys.stdout.flush()


# -- generate.model ----------------------------------------------------------
def generate_model(app_root: Path, name: str, force: bool = False) -> Path:
    naming.check_model_name(name)
    _require_dir(app_root, "app/models")
    variables = {
        "name": name,
        "class_name": naming.class_name(name),
        "table_suffix": naming.table_suffix(name),
    }
    files = render_tree("model", variables)
    (path,) = add_files(app_root, files, force, f"Model {variables['class_name']}")
    print(f"Generated model {variables['class_name']} in {path.relative_to(app_root)} "
          f"(table {local_table_name(app_root, variables['table_suffix'])})")
    return path


def local_table_name(app_root: Path, suffix: str) -> str:
    """The table a generated model names on this machine: ``NAME-STAGE-suffix`` from the app's env
    (env.dist.yml < env.yml < shell; NAME from tight.yml), with the stage it depends on."""
    from tight.dev.env import EnvFileError, app_env, as_environ

    try:
        values = app_env(app_root)
    except EnvFileError:
        values = {}
    name, stage = (as_environ(values.get(key)) for key in ("NAME", "STAGE"))
    if not name or not stage:
        return f"NAME-STAGE-{suffix}, from the NAME and STAGE environment variables"
    return f"{name}-{stage}-{suffix}, from NAME-STAGE-{suffix} with stage {stage}"
