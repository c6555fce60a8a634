"""Inspect the environment (env.dist.yml + env.yml + shell) the app runs with."""
from invoke import Collection, task

from .config import app_root, settings


@task
def show(c):
    """Print the merged environment that rundb, local.serve and the app's tests see (Lambda: see generate.artifact)."""
    root = app_root()
    from .envfile import show_env

    show_env(root, settings(c))


@task
def check(c):
    """List keys of env.dist.yml missing from env.yml (exit 1 when any)."""
    root = app_root()
    from .envfile import check_env

    check_env(root)


ns = Collection("env", show, check)
