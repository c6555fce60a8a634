"""The template files of a stage: made (every check runs here, before anything is uploaded), written by
``deploy.template``, handed to CloudFormation by ``deploy``.

An app over CloudFormation's 500 resources per stack becomes a root template and nested stacks
(:mod:`.nesting`): ``deploy.template`` writes each child beside the root (``<root>.StackPart1.yml``), and
``deploy`` uploads them to the code bucket, passing their folder as the ``TemplateBase`` parameter.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import fail
from ..console import say, warn
from .cloud import Cloud
from .parts import App, TemplateError, stack_name

#: CloudFormation's limit on a template passed inline; a larger one goes through S3.
TEMPLATE_BODY_LIMIT = 51200
CODE_PREFIX = "tight"


@dataclass(frozen=True)
class Made:
    """A stage's templates: the root's text and each nested stack's ``(file name, text)``."""

    app: App
    text: str
    children: dict[str, tuple[str, str]] = field(default_factory=dict)


def make_template(root: Path, settings: Mapping[str, Any], stage: str) -> Made:
    """The app read for ``stage`` and its templates as YAML text (one line and exit 1 when it cannot be)."""
    from .functions import timeout_warnings
    from .inputs import read_app

    app = read_app(root, settings, stage)
    made = render_app(app)
    for line in timeout_warnings(app, settings.get("functions")):
        warn(f"Warning: {line}.")
    return made


def render_app(app: App) -> Made:
    """The templates of ``app`` (nested stacks when it is over 500 resources)."""
    from .nesting import split
    from .template import build, render

    try:
        template, children = split(build(app), render, app.placement)
        return Made(app, render(template), children)
    except TemplateError as exc:
        raise fail(f"Cannot make the template: {exc}.") from None


def _is_template(path: Path) -> bool:
    """Whether ``path`` holds a template that ``deploy.template`` wrote (its first lines say so)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).decode("utf-8", "replace").splitlines()
    except OSError:
        return False
    return head[:1] == ["AWSTemplateFormatVersion: '2010-09-09'"] and any(
        line.startswith("Description: ") and line.endswith("deployed by tight") for line in head[1:3])


def _check_replaceable(path: Path) -> None:
    """Refuse to replace a file tight did not write (``--output tight.yml`` replaced the app's settings)."""
    if path.is_symlink() or (path.exists() and not path.is_dir() and not _is_template(path)):
        raise fail(f"Not writing {path}: it exists and is not a template written by deploy.template; "
                   "pick another --output (or delete that file yourself).")


def child_path(path: Path, stack: str) -> Path:
    """Where ``deploy.template`` writes nested stack ``stack`` of the root at ``path``."""
    return path.with_name(f"{path.stem}.{stack}{path.suffix or '.yml'}")


def write_template(root: Path, settings: Mapping[str, Any], stage: str, output: str | None,
                   out: Callable[[str], None] = say) -> Path | None:
    """Write the template to ``output`` (default ``builds/<name>-<stage>.template.yml``; ``-``: stdout)."""
    made = make_template(root, settings, stage)
    stack = stack_name(made.app.name, made.app.stage)
    if output == "-":
        out(made.text.rstrip("\n"))
        if made.children:
            warn(f"The app needs {len(made.children)} nested stacks; their templates are written only to files "
                 "(--output PATH, or the default).")
        return None
    path = Path(output) if output else root / "builds" / f"{stack}.template.yml"
    from ..files import write_atomic

    files = {path: made.text, **{child_path(path, s): text for s, (_, text) in made.children.items()}}
    for target in files:
        _check_replaceable(target)
    try:
        for target, text in files.items():
            write_atomic(target, text)
    except OSError as exc:
        raise fail(f"Cannot write {path}: {exc.strerror or exc}; pick another --output.") from None
    nested = f", and {len(made.children)} nested stacks beside it" if made.children else ""
    out(f"Wrote {path} ({len(made.text.splitlines())} lines; stack {stack}{nested}).")
    return path


def _upload_once(cloud: Cloud, bucket: str, key: str, text: str, owner: str | None) -> None:
    if not cloud.object_exists(bucket, key, owner):
        cloud.upload(bucket, key, text.encode(), owner)


def template_source(cloud: Cloud, bucket: str, made: Made, owner: str | None = None) -> tuple[dict[str, str],
                                                                                              dict[str, str]]:
    """``(template_body= or template_url=, extra parameters)``: a large root and every nested stack's template
    are uploaded to the code bucket (under their sha256) first."""
    app = made.app
    folder = f"{CODE_PREFIX}/{app.name}/templates"
    for name, text in made.children.values():
        _upload_once(cloud, bucket, f"{folder}/{name}", text, owner)
    parameters = {"TemplateBase": cloud.object_url(bucket, folder)} if made.children else {}
    if len(made.text.encode()) <= TEMPLATE_BODY_LIMIT:
        return {"template_body": made.text}, parameters
    key = f"{folder}/{app.stage}-{hashlib.sha256(made.text.encode()).hexdigest()}.yml"
    _upload_once(cloud, bucket, key, made.text, owner)
    return {"template_url": cloud.object_url(bucket, key)}, parameters
