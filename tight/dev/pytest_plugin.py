"""pytest plugin (entry point ``pytest11``) giving tight apps their fixtures.

It loads in every pytest run of an environment where tight-cli is installed, so
it imports nothing heavy and does nothing unless the run belongs to a tight app
(a ``tight.yml`` in the rootdir, the invocation directory or a test path, or one
of their parents). For such a run it applies the app's environment
(``env.dist.yml`` < ``env.yml`` < shell, plus ``NAME``; ``ssm:``/``secretsmanager:`` references
resolved as on Lambda) and puts the app root on ``sys.path`` before any test module is imported.

Fixtures: ``app`` (the app's ``app_index`` module), ``event`` (an API Gateway REST
proxy event), ``dynamo_db_session`` (the boto3 session of ``dynamo_db.connect()``,
for record/playback), ``local_dynamodb`` (session: an embedded DynamoDB with the
app's tables, ``connect()`` pointed at it), ``tight_app_root`` and
``tight_recording``.

Option ``--tight-record`` (or ``TIGHT_RECORD=1``): record tapes and expectations
instead of playing them back.
"""
from __future__ import annotations

import copy
import os
import sys
from pathlib import Path

import pytest

CONFIG_NAMES = ("tight.yml", "tight.yaml")
_STATE_KEY = "_tight_state"


def pytest_addoption(parser):
    group = parser.getgroup("tight", "tight apps")
    group.addoption(
        "--tight-record",
        action="store_true",
        dest="tight_record",
        default=False,
        help="tight: record placebo tapes and response expectations instead of playing them back "
             "(same as TIGHT_RECORD=1).",
    )


def find_app_root(*starts: Path) -> Path | None:
    """The nearest directory holding tight.yml, searching each start and its parents.

    (Like ``tight.dev.env.find_config_file``, kept here so that a run outside
    any app imports nothing of tight beyond this module.)"""
    for start in starts:
        start = Path(start).resolve()
        if start.is_file():
            start = start.parent
        for folder in (start, *start.parents):
            if any((folder / name).is_file() for name in CONFIG_NAMES):
                return folder
    return None


def _starts(config) -> list[Path]:
    starts = [Path(config.rootpath), Path(config.invocation_params.dir)]
    for arg in config.args:
        candidate = Path(config.invocation_params.dir, str(arg).split("::")[0])
        if candidate.exists():
            starts.append(candidate)
    return starts


def pytest_configure(config):
    state = {"root": None, "env_added": {}, "path_added": None, "mode_set": False}
    setattr(config, _STATE_KEY, state)
    if config.getoption("tight_record", False):
        from tight.dev import test_helpers

        test_helpers.set_record_mode(True)
        state["mode_set"] = True
    root = find_app_root(*_starts(config))
    if root is None:
        return
    from tight.dev.env import EnvFileError, apply_env
    from tight.providers.aws.clients import dynamo_db

    state["root"] = root
    dynamo_db.profile_optional = True  # tapes and the embedded engine need no AWS profile
    try:
        state["env_added"] = apply_env(root)
    except EnvFileError as exc:
        raise pytest.UsageError(f"tight: {exc}") from None
    _resolve_references(state["env_added"])
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
        state["path_added"] = str(root)


def _resolve_references(added: dict[str, str]) -> None:
    """Resolve the ``ssm:``/``secretsmanager:`` values the env files gave (as the Lambda runtime does at cold
    start, against the configured endpoint), so tests that import a handler directly see the secret.
    A plain value in env.yml needs no AWS at all; one that cannot be resolved is logged and left unset."""
    from tight.providers.aws.lambda_app import secrets

    references = {key: value for key, value in added.items() if secrets.is_reference(value)}
    if not references:
        return
    environ = dict(references)
    secrets.resolve(environ)
    for key in references:
        if key in environ:
            os.environ[key] = added[key] = environ[key]
        else:
            os.environ.pop(key, None)
            added.pop(key, None)


def pytest_unconfigure(config):
    state = getattr(config, _STATE_KEY, None)
    if not state:
        return
    for key, value in state["env_added"].items():
        if os.environ.get(key) == value:
            del os.environ[key]
    if state["path_added"] and state["path_added"] in sys.path:
        sys.path.remove(state["path_added"])
    if state["mode_set"]:
        sys.modules["tight.dev.test_helpers"].set_record_mode(None)
    if state["root"] is not None:
        sys.modules["tight.providers.aws.clients.dynamo_db"].profile_optional = False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test that played back tapes or an expectation says which, and how to record them again."""
    outcome = yield
    report = outcome.get_result()
    helpers = sys.modules.get("tight.dev.test_helpers")
    if report.when != "call" or not report.failed or helpers is None or helpers.is_recording():
        return
    state = getattr(item.config, _STATE_KEY, None) or {}
    hint = helpers.failure_hint(item.nodeid, state.get("root"))
    if hint and hasattr(report.longrepr, "addsection"):
        report.longrepr.addsection("tight", hint)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    helpers = sys.modules.get("tight.dev.test_helpers")
    if helpers is not None:
        helpers.stop()  # a tape never outlives its test


# -- fixtures ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def tight_app_root(request) -> Path:
    """The root of the tight app under test (the directory with tight.yml)."""
    state = getattr(request.config, _STATE_KEY, None) or {}
    root = state.get("root")
    if root is None:
        pytest.fail("tight: no tight.yml in the rootdir or its parents; run pytest inside a tight app",
                    pytrace=False)
    return root


@pytest.fixture
def tight_recording() -> bool:
    """True when this run records tapes (``--tight-record`` / ``TIGHT_RECORD=1``)."""
    from tight.dev import test_helpers

    return test_helpers.is_recording()


@pytest.fixture
def app(tight_app_root):
    """The app's ``app_index`` module, with ``app.<controller>(event, context)`` entry points."""
    import importlib

    expected = (tight_app_root / "app_index.py").resolve()
    if not expected.is_file():
        pytest.fail(f"tight: {expected} is missing", pytrace=False)
    module = importlib.import_module("app_index")
    if Path(module.__file__).resolve() != expected:
        pytest.fail(f"tight: app_index was imported from {module.__file__}, not {expected}", pytrace=False)
    return module


_EVENT = {
    "resource": "/",
    "path": "/",
    "httpMethod": "GET",
    "headers": {
        "Accept": "application/json",
        "Host": "abcdef1234.execute-api.us-east-1.amazonaws.com",
        "User-Agent": "pytest",
        "X-Forwarded-For": "203.0.113.10",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    },
    "multiValueHeaders": {
        "Accept": ["application/json"],
        "Host": ["abcdef1234.execute-api.us-east-1.amazonaws.com"],
        "User-Agent": ["pytest"],
        "X-Forwarded-For": ["203.0.113.10"],
        "X-Forwarded-Port": ["443"],
        "X-Forwarded-Proto": ["https"],
    },
    "queryStringParameters": None,
    "multiValueQueryStringParameters": None,
    "pathParameters": None,
    "stageVariables": None,
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "abcdef1234",
        "authorizer": {"principalId": "user|a1b2c3d4"},
        "domainName": "abcdef1234.execute-api.us-east-1.amazonaws.com",
        "domainPrefix": "abcdef1234",
        "extendedRequestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "httpMethod": "GET",
        "identity": {
            "accessKey": None,
            "accountId": None,
            "caller": None,
            "cognitoIdentityId": None,
            "cognitoIdentityPoolId": None,
            "principalOrgId": None,
            "sourceIp": "203.0.113.10",
            "user": None,
            "userAgent": "pytest",
            "userArn": None,
        },
        "path": "/dev/",
        "protocol": "HTTP/1.1",
        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "requestTime": "09/Apr/2015:12:34:56 +0000",
        "requestTimeEpoch": 1428582896000,
        "resourceId": "123456",
        "resourcePath": "/",
        "stage": "dev",
    },
    "body": None,
    "isBase64Encoded": False,
}


@pytest.fixture
def event() -> dict:
    """A fresh API Gateway REST (payload 1.0) proxy event: GET / with an authorizer principal."""
    return copy.deepcopy(_EVENT)


@pytest.fixture
def dynamo_db_session():
    """The boto3 session behind ``dynamo_db.connect()`` (attach placebo tapes to it)."""
    from tight.providers.aws.clients import dynamo_db

    return dynamo_db.session()


@pytest.fixture(scope="session")
def local_dynamodb(tight_app_root):
    """An embedded DynamoDB (moto) with a table per app model; ``connect()`` points at it.

    Yields the endpoint URL. The previous ``AWS_ENDPOINT_URL_DYNAMODB`` is restored
    and the engine re-pointed when the session ends.
    """
    from tight.dev.local_dynamodb import embedded_dynamodb
    from tight.dev.models import ModelImportError, discover_models
    from tight.providers.aws.clients import dynamo_db

    try:
        models = discover_models(tight_app_root)
    except ModelImportError as exc:
        pytest.fail(f"tight: {exc}", pytrace=False)
    name = "AWS_ENDPOINT_URL_DYNAMODB"
    previous = os.environ.get(name)
    with embedded_dynamodb(models) as endpoint:
        os.environ[name] = endpoint
        dynamo_db.reset()
        try:
            yield endpoint
        finally:
            if previous is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = previous
            dynamo_db.reset()
