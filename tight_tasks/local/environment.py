"""The app's environment and database for ``local.serve`` and ``local.invoke``.

env.dist.yml < env.yml < shell goes into ``os.environ`` (as ``dynamo.rundb``
does); unless ``db=False`` the embedded DynamoDB starts with a table per model
and ``AWS_ENDPOINT_URL_DYNAMODB`` points the handlers at it. ``db="lazy"``
(``local.invoke``) starts it on the function's first DynamoDB call only
(:mod:`.lazydb`).
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..config import fail, require_env_file

PAYLOADS = ("1.0", "2.0")


def check_payload(payload: Any) -> str:
    from ..config import usage_error

    text = str(payload)
    if text in ("1", "2"):
        text += ".0"
    if text not in PAYLOADS:
        raise usage_error(f"--payload {payload!r} is not 1.0 (REST API) or 2.0 (HTTP API).")
    return text


def _apply_env(root: Path) -> None:
    from tight.dev.env import EnvFileError, apply_env

    try:
        apply_env(root)
    except EnvFileError as exc:
        raise fail(f"{exc}; fix the file and retry.") from None


@contextlib.contextmanager
def app_environment(root: Path, db: bool | str = True, host: str = "127.0.0.1") -> Iterator[dict[str, Any] | None]:
    """Apply the app's env; with ``db``, run the embedded DynamoDB for the block and yield its details
    (``db="lazy"``: ``{"endpoint", "engine", "lazy"}``, the engine starting on first use)."""
    require_env_file(root, "the app")
    if not db:
        _apply_env(root)
        yield None
        return
    if db == "lazy":
        from .lazydb import lazy_dynamodb

        _apply_env(root)
        engine = lazy_dynamodb(root, host)
    else:
        from ..dynamo.localdb import running_dynamodb

        engine = running_dynamodb(root, engine="embedded", host=host, port=0)
    saved = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    with engine as started:
        info = {"endpoint": started.endpoint, "engine": "embedded", "lazy": started} if db == "lazy" else started
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = info["endpoint"]
        try:
            yield info
        finally:
            if saved is None:
                os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
            else:
                os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = saved
