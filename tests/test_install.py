"""A non-editable install from the wheel works outside the checkout, on 3.10-3.13."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, clean_env

CURRENT = f"{sys.version_info[0]}.{sys.version_info[1]}"


def test_wheel_ships_templates_and_runtime(tight_wheel):
    names = set(zipfile.ZipFile(tight_wheel).namelist())
    templates = {p.relative_to(REPO / "templates").as_posix() for p in (REPO / "templates").rglob("*.j2")}
    assert templates and {f"tight_tasks/templates/{t}" for t in templates} <= names
    runtime = {p.relative_to(REPO).as_posix() for p in (REPO / "tight").rglob("*.py")}
    assert runtime <= names


def _run(bin_dir: Path, argv, cwd):
    return subprocess.run([str(bin_dir / argv[0]), *argv[1:]], cwd=cwd, capture_output=True, text=True,
                          env=clean_env(), timeout=600, check=False)


def test_installed_cli_works_outside_checkout(wheel_venv, tmp_path):
    bin_dir = wheel_venv()
    assert _run(bin_dir, ["tight", "--version"], tmp_path).stdout.strip() == "tight 1.0.0"
    listing = _run(bin_dir, ["tight", "--list"], tmp_path)
    assert all(ns in listing.stdout for ns in ("generate.", "pip.", "dynamo.", "env."))
    assert "--provider" in _run(bin_dir, ["tight", "--help", "generate.app"], tmp_path).stdout
    assert "dynamo.rundb" in _run(bin_dir, ["python", "-m", "tight_tasks", "--list"], tmp_path).stdout
    where = _run(bin_dir, ["python", "-c", "import tight_tasks; print(tight_tasks.__file__)"], tmp_path)
    assert str(REPO) not in where.stdout


@pytest.mark.parametrize("version", sorted({"3.10", CURRENT, "3.13"}))
def test_acceptance_app_and_function(wheel_venv, tmp_path, version):
    """tight generate.app my_service && cd my_service && tight generate.function my_controller, then a
    function of every event type: each one's tests pass on every supported Python."""
    bin_dir = wheel_venv(version)
    app = _run(bin_dir, ["tight", "generate.app", "my_service"], tmp_path)
    assert app.returncode == 0, app.stderr
    function = _run(bin_dir, ["tight", "generate.function", "my_controller"], tmp_path / "my_service")
    assert function.returncode == 0, function.stdout + function.stderr
    assert "2 passed" in function.stdout
    assert "Successfully generated function and tests!" in function.stdout
    assert "warning" not in function.stdout.lower()
    model = _run(bin_dir, ["tight", "generate.model", "account"], tmp_path / "my_service")
    assert model.returncode == 0, model.stderr
    for name, kind in (("orders", "sqs"), ("nightly", "schedule"), ("thumbs", "s3"), ("audit", "dynamodb_stream")):
        typed = _run(bin_dir, ["tight", "generate.function", name, "--type", kind], tmp_path / "my_service")
        assert typed.returncode == 0 and "2 passed" in typed.stdout, typed.stdout + typed.stderr  # 3.10: no datetime.UTC
    tests = _run(bin_dir, ["python", "-m", "pytest", "-q"], tmp_path / "my_service")
    assert tests.returncode == 0 and "10 passed" in tests.stdout, tests.stdout
