"""Shared fixtures: the CLI as a subprocess, a built wheel, fresh venvs with it."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: Under CI (``CI=true``, as .ci/run is run) a skipped test is a failure: a missing Java, Python or
#: browser on the runner must not pass unnoticed. Read once, before any test clears the variable.
SKIP_FAILS = os.environ.get("CI", "").lower() in ("true", "1")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if SKIP_FAILS and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which must run every test: {reason}"
def find_python(version: str) -> str | None:
    """Path of a CPython ``version`` (e.g. "3.10") interpreter, or None (generate.artifact's own search)."""
    from tight_tasks._pip.bytecode import find_python as find

    return find(version)


# Keys of a generated app's env.dist.yml. The shell overrides them by design
# (CI systems export CI=true), so tests that assert the file's defaults must
# not inherit them from whoever runs the suite.
APP_ENV_KEYS = ("CI", "NAME", "STAGE")


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a child process, without AWS settings or app env keys leaking in."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "TIGHT_", "PYTEST_")) and k not in APP_ENV_KEYS}
    env.pop("PYTHONPATH", None)
    env.update(extra)
    return env


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    """True when a server could listen on ``port`` now (like a server, ignoring connections still closing)."""
    import socket

    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def billion_laughs(levels: int = 9) -> str:
    """YAML whose nested aliases expand to 10**levels values (a "billion laughs" file)."""
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def run_tight(*args: str, cwd: Path, python: str = sys.executable, env=None, timeout=300) -> subprocess.CompletedProcess:
    """Run ``python -m tight_tasks ARGS`` in ``cwd``; text output captured."""
    return subprocess.run(
        [python, "-m", "tight_tasks", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env or clean_env(),
        timeout=timeout, check=False)


def make_venv(python: str, target: Path, *requirements: str) -> subprocess.CompletedProcess:
    """A venv of ``python`` at ``target`` with ``requirements`` installed; the install's result.

    With uv (a test extra) when it is there: a second, where venv + pip take ten.
    """
    uv = shutil.which("uv", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if uv:
        subprocess.run([uv, "venv", "-q", "--seed", "--python", python, str(target)], check=True)
        command = [uv, "pip", "install", "-q", "--python", str(target / "bin" / "python"), *requirements]
    else:
        subprocess.run([python, "-m", "venv", str(target)], check=True)
        command = [str(target / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                   *requirements]
    return subprocess.run(command, capture_output=True, text=True, check=False)


@pytest.fixture
def tight():
    """``tight(*args, cwd=...)`` runs the CLI in a subprocess."""
    return run_tight


@pytest.fixture(scope="session")
def tight_wheel(tmp_path_factory) -> Path:
    """A wheel of this checkout, built once per session (non-editable install)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(REPO)],
        check=True,
    )
    wheels = list(out.glob("tight_cli-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


_VENVS: dict[str, Path] = {}


@pytest.fixture(scope="session")
def wheel_venv(tight_wheel, tmp_path_factory):
    """``wheel_venv("3.12")``: bin dir of a fresh venv with only tight-cli (and its deps) installed.

    Skips when that interpreter is not on this machine.
    """

    def make(version: str | None = None) -> Path:
        version = version or f"{sys.version_info[0]}.{sys.version_info[1]}"
        if version in _VENVS:
            return _VENVS[version]
        python = sys.executable if version == f"{sys.version_info[0]}.{sys.version_info[1]}" else find_python(version)
        if python is None:
            pytest.skip(f"Python {version} is not installed on this machine")
        venv = tmp_path_factory.mktemp(f"venv{version}")
        installed = make_venv(python, venv, str(tight_wheel))
        assert installed.returncode == 0, installed.stderr[-3000:]
        _VENVS[version] = venv / "bin"
        return _VENVS[version]

    return make


@pytest.fixture
def fresh(monkeypatch):
    """No AWS settings from the shell; a new runtime engine for the test, the old one restored after."""
    from tight.providers.aws.clients import dynamo_db

    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    saved = dynamo_db._engine, dynamo_db._session, dynamo_db._core
    dynamo_db.forget()
    yield monkeypatch
    dynamo_db._engine, dynamo_db._session, dynamo_db._core = saved


@pytest.fixture(autouse=True)
def _no_app_env_from_the_shell(monkeypatch):
    """In-process tests see env.dist.yml's defaults (not a CI runner's CI=true),
    no record mode and no AWS profile, region or endpoint from the shell."""
    for key in list(os.environ):
        if key in APP_ENV_KEYS or key.startswith(("AWS_", "TIGHT_")):
            monkeypatch.delenv(key, raising=False)


#: The runtime modules whose module-level state (handlers registered, CORS policy, default headers)
#: tests change in-process; ``_runtime_state_restored`` puts it back after every test.
STATEFUL_RUNTIME = "tight.providers.aws.controllers"


@contextmanager
def runtime_state_restored():
    """Undo, on leaving, what code run inside registered or configured in the runtime's controller modules
    (handlers, event sources, CORS policy, default headers): every ``_private`` global of them."""
    import importlib
    import pkgutil

    package = importlib.import_module(STATEFUL_RUNTIME)
    saved = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{STATEFUL_RUNTIME}.{info.name}")
        for name, value in vars(module).items():
            if name.startswith("_") and not name.startswith("__"):
                contents = {k: dict(v) if isinstance(v, dict) else v for k, v in value.items()} \
                    if isinstance(value, dict) else None
                saved.append((module, name, value, contents))
    try:
        yield
    finally:
        for module, name, value, contents in saved:
            if contents is not None:
                value.clear()
                value.update(contents)
            setattr(module, name, value)


@pytest.fixture(autouse=True)
def _runtime_state_restored():
    """Tests run shuffled (pytest-randomly): what one registers or configures must not leak into the next.
    A module-scoped app fixture imports its handlers while it sets up (before this snapshot), inside its own
    ``runtime_state_restored()``."""
    with runtime_state_restored():
        yield


def without_write_permission() -> list[str]:
    """A command prefix under which chmod 0555 really denies writing, even to root.

    root ignores file modes (CAP_DAC_OVERRIDE); ``setpriv`` drops that
    capability from the child, which stays uid 0 and can still read /root.
    """
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    assert setpriv, "running the suite as root needs setpriv (util-linux) to test permission errors"
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner"]


# -- AWS on moto's server: one for the whole session, shared by every test module ------------------

#: The region of the AWS tests (not us-east-1, so region handling is exercised).
AWS_REGION = "eu-west-1"


def listed(client, operation: str, key: str, **kwargs) -> list:
    """Every item of a paginated listing: the session's moto server holds every test's resources, past one page."""
    return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page.get(key, [])]


def aws_env(endpoint: str, **extra: str) -> dict[str, str]:
    """A child environment pointed at a moto server, with dummy credentials and no AWS config files."""
    return clean_env(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                     AWS_REGION=AWS_REGION, AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=os.devnull,
                     AWS_SHARED_CREDENTIALS_FILE=os.devnull, **extra)


def _api_gateway_logging_role(endpoint: str) -> None:
    """What an AWS account has once: API Gateway's CloudWatch Logs role (REST access logs need it)."""
    import boto3

    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=AWS_REGION)
    role = "arn:aws:iam::123456789012:role/apigateway-cloudwatch"
    session.client("apigateway", endpoint_url=endpoint).update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}])


@pytest.fixture(scope="session")
def moto_endpoint():
    """A moto server (every service) for the session: ``http://localhost:PORT``.

    ``localhost``, not ``127.0.0.1``: moto resolves S3 URLs (CloudFormation's TemplateURL) by that name.

    A process of its own: moto's backends are global to a process, and the embedded engine of the tests
    that run local.serve or the app fixtures in this process resets them when it stops.
    """
    import socket
    import time

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "moto's server did not start"
                time.sleep(0.05)
        endpoint = f"http://localhost:{port}"
        _api_gateway_logging_role(endpoint)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="session")
def aws(moto_endpoint):
    """``aws(service)``: a boto3 client of the session's moto server."""
    import boto3

    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=AWS_REGION)
    return lambda service: session.client(service, endpoint_url=moto_endpoint)


@pytest.fixture(scope="session")
def tight_aws(moto_endpoint):
    """``tight_aws(*args, cwd=..., **env)``: the CLI in a subprocess, against the moto server."""

    def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
        return run_tight(*args, cwd=cwd, env=aws_env(moto_endpoint, **env), timeout=180)

    return run


@contextmanager
def serve_wsgi(application):
    """``application`` on a free port of 127.0.0.1 (werkzeug, threaded): yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def browse(url: str, profile: Path) -> str:
    """The text of ``<pre id="out">`` once headless Chromium ran the page at ``url`` (its script writes it)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is not installed (.ci/run installs Debian's chromium package)"
    result = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
                             "--virtual-time-budget=5000", "--dump-dom", url],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    start = result.stdout.index('<pre id="out">') + len('<pre id="out">')
    return result.stdout[start:result.stdout.index("</pre>", start)]


_controllers = iter(range(1, 1 << 30))


@pytest.fixture
def controller():
    """A fresh lambda_proxy controller name (``controller.name``), and ``controller(method, function)`` to
    register a handler on it as its handler module would; forgotten afterwards."""
    from tight.providers.aws.controllers import lambda_proxy_event as lambda_proxy
    from tight.providers.aws.controllers import registry

    name = f"ctrl_{next(_controllers)}"

    def register(method, function):
        function.__module__ = f"app.functions.{name}.handler"
        return getattr(lambda_proxy, method)(function)

    register.name = name
    yield register
    registry.forget(name)


# The deploy tests' fixtures, defined once here: a fixture imported into each test module is a fixture of each
# module, so a session-scoped deploy (or Python) would be made once per module that imports it.
from deploy.deploy_support import app_copy, deploy_app, deployed, in_moto, lambda_python  # noqa: F401
