"""generate.artifact ships bytecode of the runtime's Python and leaves out what the Lambda runtime ships."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import clean_env, find_python, make_venv, run_tight
from vendor_wheels import build_wheel, wheel_from_installed

from tight_tasks._pip import bytecode, provided
from tight_tasks._pip.installers import lambda_target

RUNTIME_SHIPS = ("six", "python-dateutil", "jmespath", "urllib3")
GET = {"httpMethod": "GET", "path": "/hello", "headers": {}, "queryStringParameters": None, "body": None,
       "requestContext": {"requestId": "r-1", "stage": "dev"}}


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory) -> Path:
    wh = tmp_path_factory.mktemp("wheels")
    for dist in ("flywheel", "dynamo3", *RUNTIME_SHIPS):
        wheel_from_installed(wh, dist)
    build_wheel(wh, "botocore", "1.99.0")  # pip.install prunes it: Lambda ships botocore
    build_wheel(wh, "needsnew", requires=["urllib3>=2", "six"])
    return wh


def offline_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in clean_env().items() if not k.startswith(("PIP_", "UV_"))}
    env.update(PIP_CONFIG_FILE=os.devnull, UV_NO_CONFIG="1", UV_CACHE_DIR=str(tmp_path / "uv-cache"))
    return env


@pytest.fixture(scope="module")
def vendored_app(tmp_path_factory, wheelhouse) -> Path:
    """generate.app + function hello + model item, its requirements vendored by pip.install (offline)."""
    base = tmp_path_factory.mktemp("bytecode")
    env = offline_env(base)
    for args, cwd in ((("generate.app", "svc"), base), (("generate.function", "hello"), base / "svc"),
                      (("generate.model", "item"), base / "svc")):
        assert run_tight(*args, cwd=cwd, env=env).returncode == 0
    root = base / "svc"
    (root / "requirements-vendor.txt").write_text("flywheel==0.5.4\ndynamo3==0.4.10\nsix\n" + "\n".join(
        RUNTIME_SHIPS) + "\n")
    done = run_tight("pip.install", "--requirements", "--no-index", "--find-links", str(wheelhouse), cwd=root,
                     env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def build(root: Path, **env: str) -> subprocess.CompletedProcess:
    result = run_tight("generate.artifact", cwd=root, env=clean_env(**env))
    assert result.returncode == 0, result.stderr
    return result


def test_bytecode_of_the_runtime_version_without_the_runtimes_packages(vendored_app, tmp_path):
    python312 = find_python("3.12")
    if python312 is None:
        pytest.skip("Python 3.12 is not installed on this machine")
    first = build(vendored_app)
    zip_path = vendored_app / "builds" / "svc.zip"
    first_bytes = zip_path.read_bytes()
    shutil.copytree(vendored_app, tmp_path / "again", ignore=shutil.ignore_patterns("builds"))
    build(tmp_path / "again")
    assert (tmp_path / "again" / "builds" / "svc.zip").read_bytes() == first_bytes, "byte-identical builds"

    assert first.stdout.startswith("Left out (Lambda python3.12 ships them): jmespath ")
    assert "python-dateutil 2." in first.stdout and "six 1." in first.stdout and "urllib3 " in first.stdout
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        magic = zf.read("app/vendored/flywheel/__pycache__/engine.cpython-312.pyc")[:16]
    for module in ("__pycache__/app_index", "app/functions/hello/__pycache__/handler", "app/models/__pycache__/Item",
                   "app/vendored/flywheel/__pycache__/engine", "app/vendored/dynamo3/__pycache__/connection",
                   "app/vendored/tight/providers/aws/lambda_app/__pycache__/app"):
        assert f"{module}.cpython-312.pyc" in names, module
    top = {name.split("/")[2] for name in names if name.startswith("app/vendored/")}
    assert not {t for t in top if t.split("-")[0].lower() in ("six.py", "six", "urllib3", "dateutil", "jmespath",
                                                              "python_dateutil", "boto3", "botocore")}, top
    expected = subprocess.run([python312, "-c", ("import importlib.util, sys; "
                               "sys.stdout.buffer.write(importlib.util.MAGIC_NUMBER)")], capture_output=True, check=True)
    assert magic[:4] == expected.stdout and magic[4:8] == (1).to_bytes(4, "little"), "3.12, unchecked hash"
    assert not any(n.endswith(".pyc") and "cpython-312" not in n for n in names)


def test_the_unzipped_artifact_runs_from_its_bytecode_in_python312_with_only_boto3(vendored_app, tmp_path):
    python312 = find_python("3.12")
    if python312 is None:
        pytest.skip("Python 3.12 is not installed on this machine")
    build(vendored_app)
    venv = tmp_path / "lambda-python"
    assert make_venv(python312, venv, "boto3").returncode == 0
    task = tmp_path / "task"
    with zipfile.ZipFile(vendored_app / "builds" / "svc.zip") as zf:
        zf.extractall(task)
    handler = task / "app" / "functions" / "hello" / "handler.py"
    handler.write_text(handler.read_text().replace("'world'", "'edited source'"))  # never read: the bytecode runs
    code = ("import json, sys, app_index; r = app_index.hello(json.loads(sys.argv[1]), None); "
            "import six, urllib3; print(json.dumps([r, six.__file__, urllib3.__file__]))")
    out = subprocess.run([str(venv / "bin" / "python"), "-I", "-B", "-c", f"import sys; sys.path.insert(0, "
                          f"{str(task)!r}); " + code, json.dumps(GET)], capture_output=True, text=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "AWS_EC2_METADATA_DISABLED": "true"}, check=False)
    assert out.returncode == 0, out.stderr
    response, six_file, urllib3_file = json.loads(out.stdout)
    assert json.loads(response["body"]) == {"hello": "world"}
    assert str(venv) in six_file and str(venv) in urllib3_file, "the runtime's copies, not vendored ones"


def test_a_pin_the_runtime_does_not_meet_keeps_the_package_and_says_why(vendored_app, wheelhouse, tmp_path):
    root = Path(shutil.copytree(vendored_app, tmp_path / "svc", ignore=shutil.ignore_patterns("builds")))
    with open(root / "requirements-vendor.txt", "a") as handle:
        handle.write("needsnew\n")
    done = run_tight("pip.install", "--requirements", "--no-index", "--find-links", str(wheelhouse), cwd=root,
                     env=offline_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    result = build(root)
    shipped = provided.RUNTIME_PACKAGES["python3.12"]["urllib3"]
    assert (f"Kept the vendored urllib3: needsnew requires urllib3>=2, and Lambda python3.12 ships urllib3 "
            f"{shipped}") in result.stdout
    with zipfile.ZipFile(root / "builds" / "svc.zip") as zf:
        names = zf.namelist()
        first = zf.read("app/vendored/.tight-vendor-first").decode()
    assert "app/vendored/urllib3/__init__.py" in names and "app/vendored/six.py" not in names
    assert first.startswith("urllib3: needsnew requires urllib3>=2")


def test_without_an_interpreter_of_the_runtimes_version_it_warns_once_and_ships_source(vendored_app, tmp_path):
    root = Path(shutil.copytree(vendored_app, tmp_path / "svc", ignore=shutil.ignore_patterns("builds")))
    tight_yml = root / "tight.yml"
    tight_yml.write_text(tight_yml.read_text().replace("runtime: python3.12", "runtime: python3.14"))
    (root / "app" / "vendored" / ".tight-platform").write_text("python3.14 x86_64\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    result = build(root, PATH="/usr/bin:/bin", PYENV_ROOT=str(empty), UV_PYTHON_INSTALL_DIR=str(empty),
                   UV_PYTHON_DOWNLOADS="never")
    if bytecode.find_python("3.14") is not None and "Warning: no Python 3.14" not in result.stderr:
        pytest.skip("this machine has a Python 3.14 the test cannot hide")
    assert result.stderr.count("Warning: no Python 3.14 found") == 1
    with zipfile.ZipFile(root / "builds" / "svc.zip") as zf:
        assert not [n for n in zf.namelist() if n.endswith(".pyc")]


def test_decide_reads_markers_for_the_target_and_follows_kept_packages(tmp_path):
    vendor = tmp_path / "vendored"
    for project, version, requires in (("boto3", "1.44.0", ["botocore (>=1.44.0,<1.45.0)"]),
                                       ("botocore", "1.44.0", ["urllib3 (<1.27,>=1.25.4) ; python_version < \"3.10\"",
                                                               "six ; extra == 'crt'"]),
                                       ("urllib3", "2.8.0", []), ("six", "1.17.0", [])):
        info = vendor / f"{project}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Name: {project}\nVersion: {version}\n" + "".join(
            f"Requires-Dist: {r}\n" for r in requires) + "\nurllib3 (>=9) in the description is no requirement\n")
        (info / "RECORD").write_text(f"{project}/__init__.py,,\n{project}-{version}.dist-info/RECORD,,\n"
                                     f"../../bin/{project},,\n")
    decision = provided.decide(vendor, lambda_target("python3.12", "x86_64"), ["boto3==1.44.0"])
    assert decision.kept == {
        "boto3": "requirements-vendor.txt requires boto3==1.44.0, and Lambda python3.12 ships boto3 1.34.145",
        "botocore": "boto3 requires botocore<1.45.0,>=1.44.0, and Lambda python3.12 ships botocore 1.34.145"}
    assert decision.left_out == {"urllib3": "2.8.0", "six": "1.17.0"}
    assert decision.files == {"urllib3/__init__.py", "urllib3-2.8.0.dist-info/RECORD", "six/__init__.py",
                              "six-1.17.0.dist-info/RECORD"}
