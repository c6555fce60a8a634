"""Scaffold apps, functions, models, env.yml and deployment artifacts."""
from invoke import Collection, task

from ..config import app_root, os_errors, settings

#: Defaults of generate.app, overridable in ~/.tight.yml or /etc/tight.yml (`generate:` section).
DEFAULTS = {"provider": "aws", "type": "lambda", "runtime": "python3.12", "architecture": "x86_64"}


@task(
    help={
        "name": "App name: letters, digits, _ and -, starting with a letter (my_service).",
        "provider": "Platform provider (supported: aws).",
        "type": "Provider app type (supported: lambda).",
        "target": "Directory in which the app directory is created (default: current directory).",
        "runtime": "Lambda runtime written to tight.yml, python3.10 ... python3.14 (default python3.12).",
        "architecture": "Lambda architecture written to tight.yml: x86_64 (default) or arm64.",
        "force": "Replace an existing tight app (a directory holding tight.yml); anything else is refused.",
    }
)
def app(c, name, provider=None, type=None, target=None, runtime=None, architecture=None, force=False):
    """Create a new tight app NAME: tight generate.app my_service"""
    from .scaffold import generate_app

    opts = settings(c, "generate", DEFAULTS)
    with os_errors(f"create the app {name}"):
        generate_app(
            name,
            provider=provider or opts["provider"],
            app_type=type or opts["type"],
            target=target,
            runtime=runtime or opts["runtime"],
            architecture=architecture or opts["architecture"],
            force=force,
        )


@task(
    help={
        "name": "Function name, a Python identifier (my_controller).",
        "provider": "Platform provider (supported: aws).",
        "type": "Function type: lambda_proxy (default, HTTP), sqs, schedule, s3, dynamodb_stream or "
                "authorizer (decides who may call functions with auth: NAME in tight.yml).",
        "table": "dynamodb_stream only: the model whose table it follows (default: the app's only model).",
        "force": "Overwrite an existing function and its tests.",
    }
)
def function(c, name, provider="aws", type="lambda_proxy", table=None, force=False):
    """Add a function with unit and integration tests, then run them."""
    root = app_root()
    from .scaffold import generate_function

    with os_errors(f"write function {name}"):
        generate_function(root, name, provider=provider, function_type=type, force=force, table=table)


@task(help={"name": "Model name (account, user_profile).", "force": "Overwrite an existing model file."})
def model(c, name, force=False):
    """Add a flywheel DynamoDB model to app/models."""
    root = app_root()
    from .scaffold import generate_model

    with os_errors(f"write model {name}"):
        generate_model(root, name, force=force)


@task(
    name="env",
    help={"reset": "Start from env.dist.yml only, dropping values edited into env.yml."},
)
def env_(c, reset=False):
    """Write env.yml from env.dist.yml, the shell environment and tight.yml."""
    root = app_root()
    from ..envfile import generate_env

    generate_env(root, settings(c), reset=reset)


@task(
    help={
        "output": "Directory for the zip (default: builds/ in the app); an older <name>.zip there is replaced.",
        "include_env": "Also package env.yml (left out by default).",
    }
)
def artifact(c, output=None, include_env=False):
    """Build a deterministic Lambda zip, with bytecode for the runtime's Python: builds/<name>.zip."""
    import os

    root = app_root()
    from .._pip.artifact import build_artifact

    # --output is relative to the current directory.
    output = os.path.abspath(output) if output else None
    build_artifact(root, settings(c), output=output, include_env=include_env)


ns = Collection("generate", app, function, model, env_, artifact)
ns.configure({"generate": DEFAULTS})
