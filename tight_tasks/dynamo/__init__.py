"""Run DynamoDB locally and turn models into CloudFormation tables."""
import os

from invoke import Collection, task

from ..config import app_root, find_app_root, port_number, settings

DEFAULTS = {
    "engine": "auto",
    "host": "127.0.0.1",
    "port": 8000,
    "dir": "dynamo_db",
    "version": "v3.x",
    "url": None,
}


@task(
    help={
        "version": "DynamoDB Local release line, e.g. v3.x or v2.x (default v3.x).",
        "url": "Archive URL to download instead (its .sha256 must sit beside it).",
        "dir": "Install directory (default: dynamo_db, in the app when inside one).",
        "force": "Download again even when this version is installed.",
    }
)
def installdb(c, version=None, url=None, dir=None, force=False):
    """Download, verify and unpack DynamoDB Local into dynamo_db/."""
    from .installdb import install_dynamodb_local

    opts = settings(c, "dynamo", DEFAULTS)
    root = find_app_root()
    install_dynamodb_local(
        version=version or opts["version"],
        url=url or opts["url"],
        directory=os.path.join(root or os.getcwd(), dir or opts["dir"]),
        force=force,
        app_root=root,
    )


@task(
    help={
        "engine": "auto, embedded (moto, no Java) or local (DynamoDB Local jar). auto: local when installed and Java is found.",
        "port": "Port to listen on (default 8000).",
        "host": "Address to bind (default 127.0.0.1).",
        "keep": "Keep the data: embedded engine: load dynamo_db/shared-embedded-instance.json, save it on "
                "Ctrl-C; local engine: keep dynamo_db/shared-local-instance.db. Default: start empty.",
        "seed": "Directory of YAML/JSON item files (one per table) to load after creating tables.",
    }
)
def rundb(c, engine=None, port=None, host=None, keep=False, seed=None):
    """Start a local DynamoDB with a table for every model; Ctrl-C stops it."""
    root = app_root()
    from .localdb import run_dynamodb

    opts = settings(c, "dynamo", DEFAULTS)
    run_dynamodb(
        root,
        engine=engine or opts["engine"],
        host=host or opts["host"],
        port=port_number(port if port is not None else opts["port"], 8000),
        directory=opts["dir"],
        keep=keep,
        seed=seed,
    )


@task(
    help={
        "check": "Write nothing; exit 1 with a diff when schemas/dynamo is out of date.",
        "format": "yaml (default) or json.",
        "prune": "Remove schema files of models that no longer exist.",
    }
)
def generateschema(c, check=False, format="yaml", prune=False):
    """Write CloudFormation AWS::DynamoDB::Table files to schemas/dynamo."""
    root = app_root()
    from .schema import write_schemas

    write_schemas(root, settings(c), check=check, fmt=format, prune=prune)


ns = Collection("dynamo", installdb, rundb, generateschema)
ns.configure({"dynamo": DEFAULTS})
