"""The app as one plain CloudFormation template (pure: no I/O, no AWS).

:func:`build` takes an :class:`App` (what :mod:`.inputs` read from tight.yml, the env files and the
models), runs every builder of :data:`FAMILIES` over it and returns the template as a dict;
:func:`render` writes it as YAML. One module per resource family:

* :mod:`.tables`: a table per model (``DeletionPolicy``/``UpdateReplacePolicy: Retain``);
* :mod:`.functions`: per function an ``AWS::Lambda::Function`` (code from the ``CodeBucket``/``CodeKey``
  parameters) and its ``AWS::Logs::LogGroup``, plus what its ``type`` needs (:mod:`.event_sources`);
* :mod:`.restapi`: a REST API for the routes of ``lambda_proxy`` functions, or with ``api: http``
  :mod:`.httpapi`: an HTTP API; both authorized by :mod:`.authorizers`;
* :mod:`.function_urls`: a Function URL per ``functions.NAME.url``;
* :mod:`.observability`: tracing, JSON logs and alarms (``deploy.tracing``/``log_format``/``alarms``);
* :mod:`.versions`: a version per code change and the alias ``live`` per function, which every invoker
  calls; ``deploy.rollout`` through CodeDeploy; snapstart and concurrency settings;
* :mod:`.roles`: a role per function, from what the other families granted it (and :data:`.roles.GRANTS`).

**Adding a family** (authorizers, alarms, ...): write a module with a builder ``(App) -> Parts``
(:mod:`.parts`) and append it to :data:`FAMILIES`; ids come from :func:`.parts.logical_id`.

Only resource types that moto's CloudFormation creates are used, so the offline tests can check that
everything in the template exists.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .function_urls import function_urls_family
from .functions import check_environment, functions_family
from .httpapi import http_api_parts
from .observability import observability_parts
from .parts import (  # noqa: F401 (the names other modules import from here)
    PARTITION,
    App,
    Parts,
    TemplateError,
    function_name,
    log_group_name,
    logical_id,
    stack_name,
)
from .restapi import api_parts
from .roles import POLICY_LIMIT, group_arns, roles_family  # noqa: F401
from .tables import tables_family
from .versions import versions_parts

#: The builders of the template, in order; each returns the :class:`Parts` of one resource family.
FAMILIES: list[Callable[[App], Parts]] = [tables_family, functions_family, api_parts, http_api_parts,
                                           function_urls_family]


def build(app: App) -> dict[str, Any]:
    """The CloudFormation template of ``app`` (a dict ready for :func:`render`)."""
    environment = check_environment(app.environment)
    app = App(**{**app.__dict__, "environment": environment})
    parts = Parts()
    for family in FAMILIES:
        parts.add(family(app))
    if not parts.resources:
        raise TemplateError("the app has no functions (app/functions/NAME/handler.py) and no models: "
                            "nothing to deploy")
    parts.add(observability_parts(app, parts))  # reads the other families' resources
    parts.add(versions_parts(app, parts))  # points every invoker at the functions' aliases
    parts.add(roles_family(app, parts))
    resources = dict(parts.resources)
    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"{app.name} ({app.stage} stage), deployed by tight",
        "Parameters": {
            "CodeBucket": {"Type": "String", "Description": "S3 bucket holding the code zip"},
            "CodeKey": {"Type": "String", "Description": "S3 key of the code zip (named by its sha256)"},
        },
        "Resources": resources,
    }
    if parts.outputs:
        template["Outputs"] = parts.outputs
    return template


def render(template: Mapping[str, Any]) -> str:
    """The template as block-style YAML, keys in the order built."""
    import yaml

    class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
        def ignore_aliases(self, data: Any) -> bool:  # CloudFormation rejects YAML anchors and aliases
            return True

    return yaml.dump(dict(template), Dumper=Dumper, default_flow_style=False, sort_keys=False, width=4096)
