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


def test_runtime_is_pure_python():
    assert sorted(p.suffix for p in RUNTIME.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")) == []


def test_heavy_modules_are_imported_lazily():
    modules = ["tight.providers.aws.controllers.lambda_proxy_event", "tight.providers.aws.lambda_app.app",
               "tight.providers.aws.clients.dynamo_db", "tight.core.test_helpers"]
    for module in modules:
        path = RUNTIME.parent / (module.replace(".", "/") + ".py")
        assert imported_names(path, True).isdisjoint(HEAVY), module
    code = ("import json, sys\n" + "".join(f"import {m}\n" for m in modules)
            + f"print(json.dumps(sorted(set(m.split('.')[0] for m in sys.modules) & set({list(HEAVY + NEVER)!r}))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean_env(),
                            cwd=REPO, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
