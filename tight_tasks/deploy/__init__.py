"""Put the app on AWS with CloudFormation: functions, REST API, tables, IAM; and keep it there.

``tight deploy`` (the default task), ``deploy.template``, ``deploy.status``,
``deploy.delete``, ``deploy.logs``. The logic lives in :mod:`.template`
(pure), :mod:`.changeset`, :mod:`.deployer`, :mod:`.report`; :mod:`.cloud`
is the only module that imports boto3.
"""
from __future__ import annotations

import sys

from invoke import Collection, task

from ..config import app_root, fail, settings
from ..console import ask

#: The ``deploy:`` section of tight.yml.
DEFAULTS = {"stage": "dev", "bucket": None, "region": None, "protect": [], "throttle": None}

STAGE_HELP = "Stage: letters, digits and '-' (default: deploy.stage in tight.yml, else dev)."
REGION_HELP = "AWS region (default: AWS_REGION / the profile's region)."


def _settings(c) -> tuple[dict, dict]:
    """tight.yml's settings with its ``functions:`` section, and the ``deploy:`` section."""
    values = settings(c)
    values["functions"], values["auth"] = _sections()
    values["deploy"] = settings(c, "deploy", DEFAULTS)
    return values, values["deploy"]


def _sections():
    """tight.yml's ``functions:`` and ``auth:`` as written: settings() drops a non-mapping, which must be an
    error here."""
    from ..config import find_config_file, read_app_config

    path = find_config_file()
    data = read_app_config(path) if path else {}
    return data.get("functions"), data.get("auth")


def _stage(stage, opts: dict) -> str:
    """``--stage``, else ``deploy.stage``; an empty ``--stage ""`` (an unset ``$STAGE`` in CI) is a usage error,
    never the default stage (which may be prod)."""
    from ..config import usage_error

    if stage is not None and not str(stage).strip():
        raise usage_error('--stage "" is empty (an unset variable in CI?): name the stage, e.g. --stage dev.')
    return stage or opts["stage"]


def _terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


@task(
    name="deploy",
    default=True,
    help={
        "stage": STAGE_HELP,
        "bucket": "S3 bucket for the code (default: deploy.bucket in tight.yml, else tight-deploy-ACCOUNT-REGION, "
                  "created once).",
        "region": REGION_HELP,
        "yes": "Do not ask before changing the stack.",
    },
)
def deploy_(c, stage=None, bucket=None, region=None, yes=False):
    """Build the zip, upload it, and create or update the stack NAME-STAGE through a change set."""
    root = app_root()
    from .deployer import deploy as run

    values, opts = _settings(c)
    confirm = None if yes or not _terminal() else ask
    run(root, values, _stage(stage, opts), bucket=bucket, region=region or opts["region"], confirm=confirm)


@task(help={"stage": STAGE_HELP,
            "output": "Where to write it (default builds/NAME-STAGE.template.yml; - for stdout)."})
def template(c, stage=None, output=None):
    """Write the app's CloudFormation template (tables, functions, role, logs, REST API)."""
    import os

    root = app_root()
    from .stackfiles import write_template

    values, opts = _settings(c)
    output = os.path.abspath(output) if output and output != "-" else output
    write_template(root, values, _stage(stage, opts), output)


@task(help={"stage": STAGE_HELP, "region": REGION_HELP})
def status(c, stage=None, region=None):
    """Show the stack's status, API URL, functions (last modified, code sha256) and tables."""
    app_root()
    from .report import status as run

    values, opts = _settings(c)
    run(values, _stage(stage, opts), region=region or opts["region"])


@task(help={"stage": "Stage to delete (required).", "region": REGION_HELP,
            "yes": "Do not ask (needed when not on a terminal)."})
def delete(c, stage=None, region=None, yes=False):
    """Delete the stack NAME-STAGE; its tables and s3 buckets are kept (it says how to delete them)."""
    app_root()
    from .deployer import delete as run

    if not stage:
        raise fail("deploy.delete needs --stage: name the stage to delete (e.g. --stage dev).", code=2)
    values, opts = _settings(c)
    if not yes and not _terminal():
        raise fail(f"deploy.delete asks before deleting: pass --yes to delete stage {stage} without asking.",
                   code=2)
    run(values, stage, region=region or opts["region"], confirm=None if yes else ask)


@task(help={"name": "The function (app/functions/NAME).", "stage": STAGE_HELP, "region": REGION_HELP,
            "since": "How far back: 30s, 10m (default), 2h, 1d.", "follow": "Keep printing new events (Ctrl-C stops).",
            "level": "Only records of this level or above: TRACE, DEBUG, INFO, WARN (WARNING), ERROR, FATAL "
                     "(lines without a level are left out).",
            "request_id": "Only the lines of this invocation (its START/END/REPORT lines included)."})
def logs(c, name, stage=None, since="10m", follow=False, region=None, level=None, request_id=None):
    """Print a function's CloudWatch logs (JSON records made readable)."""
    root = app_root()
    from .report import logs as run

    values, opts = _settings(c)
    run(root, values, name, _stage(stage, opts), since=since, follow=follow, region=region or opts["region"],
        level=level, request_id=request_id)


@task(help={"stage": "Stage to roll back (required).", "region": REGION_HELP,
            "yes": "Do not ask (needed when not on a terminal)."})
def rollback(c, stage=None, region=None, yes=False):
    """Take a stage back to the deployment before the last one (its code and template), through a change set."""
    app_root()
    from .history import rollback as run

    if not stage:
        raise fail("deploy.rollback needs --stage: name the stage to roll back (e.g. --stage prod).", code=2)
    values, opts = _settings(c)
    if not yes and not _terminal():
        raise fail(f"deploy.rollback asks before changing the stack: pass --yes to roll stage {stage} back "
                   "without asking.", code=2)
    run(values, stage, region=region or opts["region"], confirm=None if yes else ask)


ns = Collection("deploy", deploy_, template, status, delete, logs, rollback)
ns.configure({"deploy": DEFAULTS})
