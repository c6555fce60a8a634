"""The app's DynamoDB connection: one cached flywheel ``Engine``.

Generated handlers call :func:`connect` at import time (``db = dynamo_db.connect()``),
so importing this module and calling ``connect()`` must cost nothing and need no
credentials, network or database: ``connect()`` returns a stand-in that builds the
engine (boto3 session, client, flywheel, dynamo3) on first use. Nothing is imported
and nothing talks to the network until a model is registered, saved or queried.

Settings come from the environment when the engine is first connected (and again
on :func:`reset`):

- ``AWS_ENDPOINT_URL_DYNAMODB`` (or ``AWS_ENDPOINT_URL``): where DynamoDB is, e.g.
  ``http://127.0.0.1:8000`` for ``tight dynamo.rundb``. Against a local endpoint no
  real credentials are needed: dummy ones are used when none are set.
- ``AWS_REGION`` / ``AWS_DEFAULT_REGION``: the region (default ``us-east-1``).
"""
from __future__ import annotations

import os

TYPE_CHECKING = False  # nothing beyond os at import: this module loads on every cold start

DEFAULT_REGION = "us-east-1"
LOCAL_HOSTS = frozenset({"localhost", "host.docker.internal"})
DUMMY_CREDENTIALS = ("tight-local", "tight-local")

_engine = None
_core = None  # the botocore session of the engine's client
_session = None  # the boto3 session around it, made when asked for (tests: placebo)

#: Set by tight's pytest plugin: tests replay tapes or record against the embedded
#: engine, so an ``AWS_PROFILE`` this machine lacks must not stop them.
profile_optional = False


def endpoint_url() -> str | None:
    """The DynamoDB endpoint the environment asks for, or None for AWS itself."""
    return os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("AWS_ENDPOINT_URL") or None


def region_name() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def is_local(url: str | None) -> bool:
    """True for an endpoint on this machine (loopback address or localhost name)."""
    if not url:
        return False
    import ipaddress
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    if host in LOCAL_HOSTS or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback or host == "0.0.0.0"
    except ValueError:
        return False


def service_endpoint(service: str) -> str | None:
    """The endpoint the environment asks for ``service`` (``AWS_ENDPOINT_URL_SQS``...), or None for AWS."""
    return os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}") or os.environ.get("AWS_ENDPOINT_URL") or None


def _new_session():
    """The botocore session of the engine's client (boto3 stays unimported: :func:`session` makes the
    boto3 session placebo attaches to, on request)."""
    return core_for(endpoint_url())


def session_for(url: str | None):
    """A boto3 session for clients of ``url``: dummy credentials for a local endpoint when none are set."""
    import boto3

    return boto3.Session(botocore_session=core_for(url))


def core_for(url: str | None):
    """A botocore session for clients of ``url`` (the region of the environment; dummy credentials for a
    local endpoint when none are set; a profile this machine lacks ignored for a local endpoint or in tests)."""
    import botocore.session
    from botocore.exceptions import ProfileNotFound

    local = is_local(url)
    core = botocore.session.Session()
    core.set_config_variable("region", region_name())
    try:
        core.get_scoped_config()  # a missing AWS_PROFILE shows here
    except ProfileNotFound:
        if not (local or profile_optional):
            raise
        return _session_without_profile(region_name())
    if local and not os.environ.get("AWS_ACCESS_KEY_ID") and not os.environ.get("AWS_PROFILE"):
        core.set_credentials(*DUMMY_CREDENTIALS)
    return core


def _session_without_profile(region: str):
    """A session that ignores ``AWS_PROFILE``: the shell's keys if set, else dummy ones."""
    import botocore.session

    keys = (os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY"))
    if not all(keys):
        keys = DUMMY_CREDENTIALS
    core = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    core.set_config_variable("region", region)
    core.set_credentials(*keys)
    return core


def _bind(engine, core) -> None:
    from dynamo3 import DynamoDBConnection

    client = core.create_client("dynamodb", endpoint_url=endpoint_url())
    engine.dynamo = DynamoDBConnection(client)


class LazyEngine:
    """Stands for the app's flywheel ``Engine``; the first attribute use connects it."""

    __slots__ = ()

    def __getattr__(self, name: str):
        return getattr(engine(), name)

    def __setattr__(self, name: str, value) -> None:
        setattr(engine(), name, value)

    def __repr__(self) -> str:
        return f"<LazyEngine {'connected' if _engine is not None else 'not connected yet'}>"


_lazy = LazyEngine()


def connect() -> LazyEngine:
    """The app's engine: a stand-in that connects the flywheel ``Engine`` on first use."""
    return _lazy


def engine():
    """The app's flywheel ``Engine`` itself (created on first call, then cached)."""
    global _engine, _core
    if _engine is None:
        patch_flywheel()
        from flywheel import Engine

        core = _new_session()
        engine = Engine()
        _bind(engine, core)
        _engine, _core = engine, core
    return _engine


def session():
    """The boto3 session the engine's client was made from (for placebo; made on first request)."""
    global _session
    engine()
    if _session is None or _session._session is not _core:
        import boto3

        _session = boto3.Session(botocore_session=_core)
    return _session


def client():
    """The botocore DynamoDB client the engine uses."""
    return engine().dynamo.client


def reset() -> None:
    """Re-read the environment and point the cached engine at it.

    The same ``Engine`` object is kept (handlers hold it in module globals), with a
    new session and client; models registered on it stay registered. Used by the
    pytest fixtures after they change ``AWS_ENDPOINT_URL_DYNAMODB``.
    """
    global _core, _session
    if _engine is None:
        return
    core = _new_session()
    _bind(_engine, core)
    _core, _session = core, None


def forget() -> None:
    """Drop the cached engine entirely; the next use builds a new one."""
    global _engine, _session, _core
    _engine = _session = _core = None


def patch_flywheel() -> None:
    """Make flywheel 0.5.4 datetime/date fields load on every Python 3 (see :mod:`.flywheel_fix`)."""
    from tight.providers.aws.clients import flywheel_fix

    flywheel_fix.patch()
