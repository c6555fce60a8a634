"""`tight generate.artifact`: contents, reproducible bytes, size limits, and a zip that runs."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import clean_env, run_tight
from invoke.exceptions import Exit
from vendor_wheels import build_wheel, wheel_from_installed

from tight_tasks._pip import artifact, vendordir

APP_INDEX = """import os
import sys
sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "app", "vendored"))
from tight.providers.aws.lambda_app import app as lambda_app  # noqa: E402
lambda_app.run()
"""

HANDLER = """import flywheel
import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy
from tight.providers.aws.clients import dynamo_db

db = dynamo_db.connect()


@lambda_proxy.get
def get_handler(*args, **kwargs):
    return {
        'statusCode': 200,
        'body': {'hello': kwargs['query_parameters'].get('name', 'world'), 'engine': type(dynamo_db.engine()).__name__, 'lazy': type(db).__name__,
                 'flywheel': flywheel.__file__},
    }
"""

EXPECTED = [
    "app/__init__.py",
    "app/functions/__init__.py",
    "app/functions/hello/__init__.py",
    "app/functions/hello/handler.py",
    "app/models/__init__.py",
    "app/vendored/.tight-platform",
    "app/vendored/somepkg-1.0.dist-info/METADATA",
    "app/vendored/somepkg/__init__.py",
    "app/vendored/somepkg/tests/__init__.py",
    "app/vendored/somepkg/tool.sh",
    "app_index.py",
    "env.dist.yml",
    "tight.yml",
    "tight_env.json",
]
#: Bytecode compiled by Python 3.12 (tight.yml's runtime) for every module, beside its source.
EXPECTED = sorted(EXPECTED + [
    (f"{name.rpartition('/')[0]}/" if "/" in name else "") + f"__pycache__/{name.rpartition('/')[2][:-3]}.cpython-312.pyc"
    for name in EXPECTED if name.endswith(".py")])


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def app(tmp_path) -> Path:
    """A tight app laid out by hand, with everything the zip must leave out."""
    root = tmp_path / "my-service"
    write(root / "tight.yml", "name: my-service\nvendor_dir: app/vendored\nruntime: python3.12\narchitecture: x86_64\n")
    write(root / "env.dist.yml", "STAGE: dev\n")
    write(root / "env.yml", "STAGE: dev\nSECRET: s3cr3t\n")
    write(root / "app_index.py", APP_INDEX)
    write(root / "requirements-vendor.txt", "somepkg>=1\nboto3  # provided by Lambda\n")
    write(root / "conftest.py")
    write(root / "tests" / "test_app.py")
    for rel in ["app/__init__.py", "app/functions/__init__.py", "app/functions/hello/__init__.py",
                "app/models/__init__.py", "app/vendored/somepkg/__init__.py", "app/vendored/somepkg/tests/__init__.py"]:
        write(root / rel)
    write(root / "app/functions/hello/handler.py", HANDLER)
    write(root / "app/vendored/.tight-platform", "python3.12 x86_64\n")
    write(root / "app/vendored/somepkg-1.0.dist-info/METADATA", "Name: somepkg\nVersion: 1.0\n")
    write(root / "app/functions/hello/__pycache__/handler.cpython-312.pyc", "bytecode")
    write(root / "app/vendored/somepkg/mod.pyc", "bytecode")
    write(root / "app/tests/test_unit.py")
    write(root / "app/env.yml", "SECRET: s3cr3t\n")
    write(root / "app/.git/config")
    write(root / "app/.vendored.tight-k2j3h4/leftover/__init__.py")  # an interrupted pip.install
    write(root / "builds/old.zip")
    tool = write(root / "app/vendored/somepkg/tool.sh", "#!/bin/sh\necho hi\n")
    tool.chmod(0o775)
    return root


def build(root: Path, *args: str):
    result = run_tight("generate.artifact", *args, cwd=root)
    assert result.returncode == 0, result.stderr
    return result


def test_contents_and_sizes(app):
    result = build(app)
    with zipfile.ZipFile(app / "builds" / "my-service.zip") as zf:
        assert zf.namelist() == EXPECTED, "sorted, and without tests, caches, .git, env.yml, builds"
        assert zf.read("app_index.py").decode() == APP_INDEX
        unzipped = sum(info.file_size for info in zf.infolist())
    zipped = (app / "builds" / "my-service.zip").stat().st_size
    assert f"{zipped:,} bytes" in result.stdout and f"{unzipped:,} bytes" in result.stdout
    assert "builds/my-service.zip" in result.stdout
    assert (app / "builds" / "old.zip").read_text() == ""


def test_tight_runtime_missing_is_warned(app):
    result = build(app)
    assert "app/vendored/tight is missing" in result.stderr


def test_include_env(app):
    build(app, "--include-env")
    with zipfile.ZipFile(app / "builds" / "my-service.zip") as zf:
        names = zf.namelist()
    assert "env.yml" in names and "app/env.yml" in names
    assert names == sorted(names)


def test_same_inputs_give_identical_bytes(app, tmp_path):
    build(app)
    first = (app / "builds" / "my-service.zip").read_bytes()
    for path in app.rglob("*"):
        os.utime(path, (1_700_000_000, 1_700_000_000))
    (app / "app_index.py").chmod(0o600)
    (app / "app/vendored/somepkg/tool.sh").chmod(0o700)
    build(app, "--output", str(tmp_path / "elsewhere"))
    assert (tmp_path / "elsewhere" / "my-service.zip").read_bytes() == first
    build(app)
    assert (app / "builds" / "my-service.zip").read_bytes() == first
    with zipfile.ZipFile(app / "builds" / "my-service.zip") as zf:
        modes = {info.filename: info.external_attr >> 16 for info in zf.infolist()}
        assert {info.date_time for info in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert modes["app_index.py"] == 0o100644
    assert modes["app/vendored/somepkg/tool.sh"] == 0o100755


def test_output_relative_to_current_directory(app):
    sub = app / "app" / "functions"
    result = run_tight("generate.artifact", "--output", "dist", cwd=sub)
    assert result.returncode == 0, result.stderr
    assert (sub / "dist" / "my-service.zip").is_file()
    with zipfile.ZipFile(sub / "dist" / "my-service.zip") as zf:
        assert not [n for n in zf.namelist() if "dist/" in n or n.endswith(".zip")]


def test_over_the_unzipped_limit_fails_and_keeps_the_old_zip(app):
    build(app)
    before = (app / "builds" / "my-service.zip").read_bytes()
    with open(app / "app/vendored/somepkg/huge.bin", "wb") as handle:  # sparse: no disk used
        handle.truncate(vendordir.UNZIPPED_LIMIT + 1)
    result = run_tight("generate.artifact", cwd=app)
    assert result.returncode == 1
    assert "262,144,000" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (app / "builds" / "my-service.zip").read_bytes() == before
    assert sorted(p.name for p in (app / "builds").iterdir()) == ["my-service.zip", "old.zip"]


def test_over_the_zipped_limit_fails_without_writing(app, capsys):
    with pytest.raises(Exit) as info:
        artifact.build_artifact(app, {"name": "my-service", "vendor_dir": "app/vendored"}, zipped_limit=200)
    assert "direct-upload limit" in info.value.message
    assert sorted(p.name for p in (app / "builds").iterdir()) == ["old.zip"]
    assert artifact.ZIPPED_LIMIT == 50 * 1024 * 1024


@pytest.mark.parametrize("broken, message", [
    ("name", "tight.yml has no name"), ("index", "app_index.py not found"), ("env", "tight generate.env"),
    ("link", "links outside the app"), ("vendor_dir", "points outside the app"),
    ("output", "Cannot write to"), ("zip_is_a_dir", "Cannot build my-service.zip: Is a directory"),
    ("access_key", "env.dist.yml: UPLOAD_KEY holds an AWS access key id"),
    ("env_secret_key", "env.yml: AWS_SECRET_ACCESS_KEY holds what looks like an AWS secret access key"),
])
def test_errors_are_one_line(app, tmp_path, broken, message):
    args = []
    if broken == "name":
        (app / "tight.yml").write_text("vendor_dir: app/vendored\n")
    elif broken == "index":
        (app / "app_index.py").unlink()
    elif broken == "env":
        (app / "env.yml").unlink()
        args = ["--include-env"]
    elif broken == "output":
        write(tmp_path / "a-file", "")
        args = ["--output", str(tmp_path / "a-file" / "builds")]
    elif broken == "zip_is_a_dir":
        (app / "builds" / "my-service.zip" / "keep").mkdir(parents=True)
    elif broken == "access_key":  # AWS's documented example id
        (app / "env.dist.yml").write_text("STAGE: dev\nUPLOAD_KEY: AKIAIOSFODNN7EXAMPLE\n")
    elif broken == "env_secret_key":
        (app / "env.yml").write_text("AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
        args = ["--include-env"]
    elif broken == "vendor_dir":
        (app / "tight.yml").write_text("name: my-service\nvendor_dir: ../../etc\n")
    else:
        write(tmp_path / "outside.py", "SECRET = 1\n")
        (app / "app" / "leak.py").symlink_to(tmp_path / "outside.py")
    result = run_tight("generate.artifact", *args, cwd=app)
    assert result.returncode == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    if broken == "zip_is_a_dir":
        assert sorted(p.name for p in (app / "builds").iterdir()) == ["my-service.zip", "old.zip"]  # no temp file
    else:
        assert not (app / "builds" / "my-service.zip").exists()


# -- the artifact runs --------------------------------------------------------

def lambda_runtime_dir(tmp_path: Path) -> Path:
    """What a Lambda Python runtime provides besides the standard library: boto3 and its dependencies."""
    runtime = tmp_path / "var-runtime"
    runtime.mkdir()
    for module in ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"):
        spec = importlib.util.find_spec(module)
        assert spec and (spec.submodule_search_locations or spec.origin), module
        if spec.submodule_search_locations:
            (runtime / module).symlink_to(next(iter(spec.submodule_search_locations)), target_is_directory=True)
        else:
            (runtime / f"{module}.py").symlink_to(spec.origin)
    return runtime


def test_vendored_artifact_runs_with_only_stdlib_and_boto3(app, tmp_path):
    """requirements-vendor.txt -> pip.install -> generate.artifact -> unzip -> app_index.hello(event, {})."""
    wheelhouse = tmp_path / "wheelhouse"
    for dist in ("flywheel", "dynamo3", "six"):
        wheel_from_installed(wheelhouse, dist)
    build_wheel(wheelhouse, "botocore", "1.99.0")  # pruned anyway: Lambda's own botocore is used
    env = {k: v for k, v in clean_env().items() if not k.startswith(("PIP_", "UV_"))}
    env.update(PIP_CONFIG_FILE=os.devnull, UV_NO_CONFIG="1", UV_CACHE_DIR=str(tmp_path / "uv-cache"))
    shutil.rmtree(app / "app" / "vendored")
    write(app / "requirements-vendor.txt", "flywheel\n")
    installed = run_tight("pip.install", "--requirements", "--no-index", "--find-links", str(wheelhouse),
                          cwd=app, env=env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "botocore" in installed.stdout  # removed
    result = build(app)
    assert "missing" not in result.stderr

    unpacked = tmp_path / "task"
    with zipfile.ZipFile(app / "builds" / "my-service.zip") as zf:
        zf.extractall(unpacked)
    runtime = lambda_runtime_dir(tmp_path)
    event = {"httpMethod": "GET", "path": "/hello", "headers": {}, "queryStringParameters": {"name": "lambda"}}
    code = (
        "import json, os, sys\n"
        f"sys.path[:0] = [{str(unpacked)!r}, {str(runtime)!r}]\n"
        "import app_index\n"
        f"response = app_index.hello({event!r}, {{}})\n"
        "mods = {m: getattr(sys.modules.get(m), '__file__', None) for m in "
        "('tight', 'flywheel', 'dynamo3', 'six', 'boto3', 'yaml', 'pytest', 'invoke')}\n"
        "print(json.dumps({'response': response, 'modules': mods, 'stage': os.environ.get('STAGE'), "
        "'secret': os.environ.get('SECRET'), 'name': os.environ.get('NAME')}))\n"
    )
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    out = subprocess.run([sys.executable, "-S", "-I", "-c", code], check=False, cwd=elsewhere, capture_output=True, text=True,
                         env={"PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION": "us-east-1"}, timeout=120)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert data["response"]["statusCode"] == 200, data
    body = json.loads(data["response"]["body"])
    assert body["hello"] == "lambda" and body["engine"] == "Engine"
    assert (data["stage"], data["name"], data["secret"]) == ("dev", "my-service", None), "env.dist.yml, not env.yml"
    modules = data["modules"]
    for name in ("tight", "flywheel", "dynamo3"):
        assert modules[name].startswith(str(unpacked / "app" / "vendored")), modules
    assert modules["six"].startswith(str(runtime)), "the runtime's six: the zip leaves its copy out"
    assert modules["boto3"] is None or modules["boto3"].startswith(str(runtime))
    assert modules["pytest"] is None and modules["invoke"] is None
