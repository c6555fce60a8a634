"""What a stage's template is made of, read from the app: the I/O half of ``deploy.template``.

* settings: ``name``, ``runtime``, ``architecture`` of tight.yml, the
  functions (``app/functions/*/handler.py``) with their ``functions:``
  settings and routes (one reader: :mod:`tight.dev.routes`);
* the environment: the keys of ``env.dist.yml``, overridden by an optional
  ``env.<stage>.yml``, plus ``NAME`` and ``STAGE`` -- never ``env.yml``
  (the laptop's) and never values from the shell; no AWS access key, references
  (``ssm:``/``secretsmanager:``) as the runtime reads them (:mod:`.env_secrets`);
* the tables: every model's ``table_spec``, the models imported with that
  environment, so ``os.environ['STAGE']`` in a model is the deployed stage;
* which models each function's code imports (:mod:`.imports`), for its role.
"""
from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..config import fail, usage_error
from .parts import App

STAGE = re.compile(r"[A-Za-z0-9-]{1,32}")
APP_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,99}")
ARCHITECTURES = {"x86_64": "x86_64", "aarch64": "arm64"}


def check_stage(stage: Any) -> str:
    stage = str(stage or "")
    if not STAGE.fullmatch(stage):
        raise usage_error(f"--stage {stage!r} is not a stage name: use 1 to 32 letters, digits and '-' "
                          "(it names the stack, the tables and the API stage).")
    return stage


def check_name(settings: Mapping[str, Any]) -> str:
    name = settings.get("name")
    if not name:
        raise fail("tight.yml has no name: add `name: my-service` (it names the stack, functions and tables).")
    name = str(name)
    if not APP_NAME.fullmatch(name):
        raise fail(f"App name {name!r} in tight.yml cannot name a CloudFormation stack: use letters, digits and "
                   "'-', starting with a letter.")
    return name


def stage_environment(root: Path, name: str, stage: str) -> dict[str, str]:
    """env.dist.yml < env.<stage>.yml, plus NAME and STAGE, as the strings Lambda gets."""
    from tight.dev.env import ENV_DIST, EnvFileError, as_environ, read_env_file

    from ..console import warn
    from .env_secrets import check_env_file
    from .parts import TemplateError

    values: dict[str, Any] = {}
    for file_name in (ENV_DIST, f"env.{stage}.yml"):
        try:
            found = read_env_file(root / file_name)
            warnings = check_env_file(file_name, found)
        except EnvFileError as exc:
            raise fail(f"{exc}; fix the file and retry.") from None
        except TemplateError as exc:  # an access key or a reference that cannot be one
            raise fail(f"{exc}.") from None
        for warning in warnings:
            warn(warning)
        values.update(found)
    values.update(NAME=name, STAGE=stage)
    return {str(key): as_environ(value) for key, value in sorted(values.items())}


@contextlib.contextmanager
def environment_of(values: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` with ``values`` set, and models imported afresh; both restored after."""
    saved = {key: os.environ.get(key) for key in values}
    cached = {k: m for k, m in sys.modules.items() if k == "app.models" or k.startswith("app.models.")}
    for key in cached:
        del sys.modules[key]
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        for key in [k for k in sys.modules if k == "app.models" or k.startswith("app.models.")]:
            del sys.modules[key]
        sys.modules.update(cached)


def stage_tables(root: Path, environment: Mapping[str, str], names: dict[str, str] | None = None,
                 options: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """``table_spec`` of every model, imported with the stage's environment.

    ``names``, when given, receives model name (class and file) -> table name; ``options`` table name ->
    the model's deploy-only ``__metadata__`` (``point_in_time_recovery``).
    """
    from tight.dev.models import (
        ModelError,
        ModelImportError,
        discover_models,
        model_file,
        table_spec,
    )

    with environment_of(environment):
        try:
            models = discover_models(root)
            specs = [table_spec(model) for model in models]
            for model, spec in zip(models, specs):
                if names is not None:
                    names[model.__name__] = names[Path(model_file(model)).stem] = spec["TableName"]
                if options is not None:
                    options[spec["TableName"]] = table_options(model)
            return specs
        except ModelImportError as exc:
            raise fail(f"Cannot import model {exc}.") from None
        except ModelError as exc:
            raise fail(f"{exc}.") from None


def table_options(model: type) -> dict[str, Any]:
    """The model's ``__metadata__`` keys only a deploy reads: ``point_in_time_recovery`` (default True)."""
    from tight.dev.models import ModelError, model_file

    recovery = getattr(model.meta_, "point_in_time_recovery", True)
    if not isinstance(recovery, bool):
        raise ModelError(f"{model_file(model)}: model {model.__name__}: __metadata__['point_in_time_recovery'] "
                         f"must be True or False, got {recovery!r}")
    return {"point_in_time_recovery": recovery}


def deploy_section(settings: Mapping[str, Any]) -> dict[str, Any]:
    """tight.yml's ``deploy:`` with ``protect`` (stage names) checked."""
    section = dict(settings.get("deploy") or {})
    protect = section.get("protect") or []
    if not isinstance(protect, list) or not all(isinstance(s, str) for s in protect):
        raise fail(f"tight.yml: deploy.protect must be a list of stage names (e.g. [prod]), got {protect!r}.")
    section["protect"] = protect
    return section


def functions_and_routes(root: Path, config: Mapping[str, Any]) -> tuple[dict[str, dict], list]:
    """Settings of every function and the HTTP routes (``config``: tight.yml's mapping)."""
    from tight.dev.routes import FunctionsConfigError, function_settings, routes
    from tight.providers.aws.lambda_app.app import function_names

    names = function_names(root)
    try:
        return function_settings(config, names), routes(config, names)
    except FunctionsConfigError as exc:
        raise fail(f"{exc}.") from None


def auth_settings(config: Mapping[str, Any], functions: dict[str, dict]) -> tuple[str, dict, dict | None]:
    """``(api, rules by function, auth.jwt)`` of tight.yml's ``config`` (checked by function_settings)."""
    from tight.dev.auth import api_type, jwt_settings, rules

    return api_type(config), rules(config, functions), jwt_settings(config)


def read_app(root: Path, settings: Mapping[str, Any], stage: str) -> App:
    """The :class:`App` of the app at ``root`` for ``stage`` (``settings``: tight.yml, with its ``functions``)."""
    from .._pip.vendor import lambda_target

    stage = check_stage(stage)
    name = check_name(settings)
    target = lambda_target(settings.get("runtime") or "python3.12", settings.get("architecture") or "x86_64")
    environment = stage_environment(root, name, stage)
    config = {"functions": settings.get("functions"), "api": settings.get("api"), "auth": settings.get("auth")}
    functions, routes = functions_and_routes(root, config)
    api, rules, jwt = auth_settings(config, functions)
    deploy = deploy_section(settings)
    model_tables: dict[str, str] = {}
    options: dict[str, dict[str, Any]] = {}
    tables = stage_tables(root, environment, model_tables, options)
    return App(name=name, stage=stage, runtime=target.runtime, architecture=ARCHITECTURES[target.arch],
               environment=environment, tables=tables, functions=functions, routes=routes,
               model_tables=model_tables, api=api, rules=rules, jwt=jwt,
               function_models=imported_models(root, functions), deploy=deploy, table_options=options)


def imported_models(root: Path, functions: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """Function name -> the models its code imports (:mod:`.imports`)."""
    from .imports import ImportScanError, function_models

    try:
        return {name: function_models(root, name) for name in functions}
    except ImportScanError as exc:
        raise fail(f"Cannot read the functions' imports: {exc}; fix the file and retry.") from None
