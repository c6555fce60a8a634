"""The runtime is vendored into Lambda packages: pure Python, light imports, no CLI dependencies."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from conftest import REPO, clean_env

RUNTIME = REPO / "tight"
NEVER = ("tight_tasks", "invoke", "jinja2")
HEAVY = ("boto3", "botocore", "flywheel", "dynamo3", "placebo", "moto", "yaml", "pytest")


def imported_names(path: Path, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_runtime_never_imports_the_cli_or_its_dependencies():
    offenders = {str(p.relative_to(REPO)): sorted(imported_names(p, False).intersection(NEVER))
                 for p in RUNTIME.rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def imported_modules(path: Path) -> set[str]:
    """Full names of every absolute import in ``path`` (``from a.b import c`` -> ``a.b``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


LAMBDA_ALLOWED = ("tight.providers", "boto3", "botocore", "flywheel", "dynamo3")


def test_what_ships_to_lambda_needs_only_itself_the_stdlib_and_boto3():
    """tight/providers is vendored alone: never tight.core/tight.dev, pytest, yaml (optional and guarded)."""
    stdlib = sys.stdlib_module_names
    offenders = {}
    for path in (RUNTIME / "providers").rglob("*.py"):
        bad = sorted(m for m in imported_modules(path)
                     if m.split(".")[0] not in stdlib and not m.startswith(LAMBDA_ALLOWED) and m not in ("yaml",))
        if bad:
            offenders[str(path.relative_to(REPO))] = bad
    assert offenders == {}


def test_vendored_runtime_first_on_the_path_still_finds_the_dev_code(tmp_path):
    """The app's tests put app/vendored first: tight.providers from there, tight.core (tight.dev shims) from tight-cli."""
    from tight_tasks._pip.vendordir import copy_runtime

    vendored = tmp_path / "vendored"
    copied = copy_runtime(vendored)
    assert sorted(p.name for p in copied.iterdir()) == ["__init__.py", "providers"]
    code = ("import json, sys\n"
            f"sys.path.insert(0, {str(vendored)!r})\n"
            "from tight.providers.aws.controllers import lambda_proxy_event\n"
            "from tight.core.test_helpers import expected_response_body, playback\n"
            "import tight.core.pytest_plugin, tight.core.test_helpers as helpers, tight.dev.test_helpers as dev\n"
            "print(json.dumps([lambda_proxy_event.__file__, helpers.__file__, helpers is dev]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean_env(),
                            cwd=tmp_path, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    providers, helpers, same_module = json.loads(result.stdout)
    assert providers.startswith(str(vendored))
    assert helpers.startswith(str(RUNTIME / "dev"))
    assert same_module, "tight.core.test_helpers must be tight.dev.test_helpers (a shim, not a copy)"
    lambda_code = (f"import sys; sys.path.insert(0, {str(vendored)!r})\n"
                   "import tight.providers.aws.lambda_app.app\n"
                   "try:\n    import tight.core\nexcept ImportError:\n    print('no core')")
    alone = subprocess.run([sys.executable, "-S", "-I", "-c", lambda_code],
                           capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False)
    assert (alone.returncode, alone.stdout.strip()) == (0, "no core"), alone.stderr


def test_runtime_is_pure_python():
    assert sorted(p.suffix for p in RUNTIME.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")) == []


def test_heavy_modules_are_imported_lazily():
    modules = ["tight.providers.aws.controllers.lambda_proxy_event", "tight.providers.aws.lambda_app.app",
               "tight.providers.aws.clients.dynamo_db", "tight.dev.test_helpers",
               "tight.providers.aws.events.http", "tight.providers.aws.controllers.cors",
               "tight.providers.aws.controllers.http_response", "tight.providers.aws.lambda_app.environment"]
    for module in modules:
        path = RUNTIME.parent / (module.replace(".", "/") + ".py")
        assert imported_names(path, True).isdisjoint(HEAVY), module
    code = ("import json, sys\n" + "".join(f"import {m}\n" for m in modules)
            + f"print(json.dumps(sorted(set(m.split('.')[0] for m in sys.modules) & set({list(HEAVY + NEVER)!r}))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean_env(),
                            cwd=REPO, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_generated_tests_pass_with_the_vendored_runtime_on_the_path(tmp_path):
    """generate.app, vendor the runtime as pip.install does, then generate.function runs the app's tests."""
    from conftest import run_tight

    from tight_tasks._pip.vendordir import copy_runtime

    assert run_tight("generate.app", "svc", cwd=tmp_path).returncode == 0
    root = tmp_path / "svc"
    copy_runtime(root / "app" / "vendored")
    (root / "tests" / "test_vendored.py").write_text(
        "import app_index  # puts app/vendored on the path, after the runtime's packages\n"
        "import sys\n\n\n"
        "def test_vendored_dir_on_the_path_and_dev_code_found():\n"
        "    from tight.dev.test_helpers import playback  # noqa: F401 - from tight-cli\n"
        "    vendored = [p for p in sys.path if p.endswith('vendored')]\n"
        "    assert vendored and sys.path.index(vendored[0]) > 0\n", encoding="utf-8")
    result = run_tight("generate.function", "hello", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout, result.stdout
    everything = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=root,
                                capture_output=True, text=True, env=clean_env(), timeout=300, check=False)
    assert everything.returncode == 0 and "3 passed" in everything.stdout, everything.stdout + everything.stderr
