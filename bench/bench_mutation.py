"""Mutation testing (mutmut 3, the ``bench`` extra): how many small changes to the code its tests notice.

mutmut changes one thing at a time (an operator, a constant, a string, a call argument) in each module
below and runs the tests that reach the changed function; a mutant the tests still pass is a "survivor".
The score of a module is the share of its mutants killed (timeouts count as killed; survivors and
mutants no selected test reaches count against it). Target: >= 90% per module.

Each group runs in a temporary copy of the repository (mutmut writes its ``mutants/`` tree there, never
here) against a fast test selection: pure tests, no deploys, no generated apps, no cfn-lint. Survivors are
listed with their change; ones judged equivalent (the code behaves the same) say why (``EQUIVALENT``, in :mod:`bench.mutation_verdicts`).

``inv bench --only mutation`` (slow: minutes per group on two cores). ``MUTATION_GROUPS=routes,deploy``
runs only those groups; ``MUTATION_MODULES=authorizers,httpapi`` mutates only the files of those names
(``<name>.py``; a group with none of them is skipped), for a quick look at one module;
``MUTATION_CHILDREN`` sets mutmut's parallel workers (default: 2).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from .common import REPO
from .mutation_verdicts import EQUIVALENT, IMPORT_TIME

EXPLICIT = True  # minutes per group: only with `inv bench --only mutation`
TARGET = 90.0
KILLED = {1, 3, 24, -24, 36, 37, 152, 255}  # mutmut's killed, timeout and type-check exit codes
NOT_RUN = {2, None}  # interrupted or not checked: not part of the score

#: Deploy's template builders (pure): tight_tasks/deploy/<module>.py.
BUILDERS = ("template", "parts", "functions", "tables", "roles", "event_sources", "failures", "restapi",
            "httpapi", "authorizers", "function_urls", "apistage")


@dataclass(frozen=True)
class Group:
    name: str
    source: str  # the package mutmut copies (and imports from its copy)
    mutate: tuple[str, ...]  # glob patterns of the files it mutates
    tests: tuple[str, ...]  # pytest's arguments: the fast selection


GROUPS = (
    Group("runtime", "tight", ("tight/providers/aws/events/*.py", "tight/providers/aws/controllers/*.py"), (
        "tests/runtime/test_runtime_cors.py", "tests/runtime/test_runtime_dispatch.py",
        "tests/runtime/test_runtime_registry.py", "tests/runtime/test_runtime_identity.py",
        "tests/runtime/test_runtime_deep_json.py", "tests/runtime/test_runtime_http_units.py",
        "tests/runtime/test_runtime_http_response_units.py", "tests/runtime/test_runtime_proxy_units.py",
        "tests/runtime/test_runtime_authorizer_units.py",
        "tests/runtime/test_runtime_lambda_app.py", "tests/events/test_events_runtime.py",
        "tests/events/test_events_samples.py", "tests/events/test_events_arguments.py",
        "tests/events/test_events_units.py",
        "-k", "not browser")),
    Group("routes", "tight", ("tight/dev/routes.py",), (
        "tests/local/test_routes.py", "tests/local/test_routes_boundaries.py")),
    Group("deploy", "tight_tasks", tuple(f"tight_tasks/deploy/{module}.py" for module in BUILDERS), (
        "tests/deploy/test_template.py", "tests/deploy/test_template_events.py",
        "tests/deploy/test_template_builders.py", "tests/deploy/test_template_builders_api.py",
        "tests/deploy/test_template_builders_core.py", "tests/deploy/test_template_builders_roles.py",
        "tests/deploy/test_template_names.py",
        "tests/deploy/test_template_auth.py", "-k", "not cfn_lint and not lint and not fifo_queue_and_its_dead_letters")),
)



@dataclass
class Score:
    """One module's result; printed by ``python -m bench`` like a timing figure."""

    module: str
    killed: int
    total: int
    survivors: list[str]

    @property
    def percent(self) -> float:
        return 100.0 * self.killed / self.total if self.total else 100.0

    def line(self) -> str:
        verdict = "ok" if self.percent >= TARGET else "MISSED"
        head = (f"mutation score {self.module}: {self.percent:.1f}% ({self.killed}/{self.total} killed)  "
                f"target >= {TARGET:.0f}%: {verdict}")
        return "\n".join([head, *(f"    {s}" for s in self.survivors)])


def copy_repo(target: Path) -> Path:
    """The parts of the repository the tests need, in ``target`` (mutmut works in there only)."""
    target.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "mutants")
    for name in ("tight", "tight_tasks", "templates", "tests"):
        shutil.copytree(REPO / name, target / name, ignore=ignore)
    for name in ("setup.cfg", "pyproject.toml"):
        shutil.copy2(REPO / name, target / name)
    return target


def configure(root: Path, group: Group) -> None:
    """mutmut's settings for ``group`` in the copy's pyproject.toml (mutmut reads them there first)."""
    def toml_list(items) -> str:
        return "[" + ", ".join(json.dumps(item) for item in items) + "]"

    with open(root / "pyproject.toml", "a", encoding="utf-8") as handle:
        handle.write(f"\n[tool.mutmut]\nsource_paths = {toml_list([group.source])}\n"
                     f"only_mutate = {toml_list(group.mutate)}\n"
                     f"pytest_add_cli_args_test_selection = {toml_list(group.tests)}\n"
                     f"pytest_add_cli_args = {toml_list(['-p', 'no:randomly', '-p', 'no:cacheprovider', '-q'])}\n")


def mutmut(root: Path, *args: str, timeout: float = 5400) -> subprocess.CompletedProcess:
    env = {**os.environ, "CI": "", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "mutmut", *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


#: Prints {mutant: its diff} for the mutants named on the command line (mutmut's own ``show``, in one process).
SHOW = """
import contextlib, io, json, sys
from mutmut import __main__ as mutmut
shown = {}
for name in sys.argv[1:]:
    with contextlib.redirect_stdout(io.StringIO()) as out:
        mutmut.show.callback(name)
    shown[name] = out.getvalue()
print(json.dumps(shown))
"""


def changes(root: Path, mutants: list[str]) -> dict[str, str]:
    """``-old | +new`` of each mutant (the lines its diff changes), and the verdict when it is known."""
    if not mutants:
        return {}
    result = subprocess.run([sys.executable, "-c", SHOW, *mutants], cwd=root, capture_output=True, text=True,
                            timeout=600, check=True)
    found = {}
    for mutant, diff in json.loads(result.stdout.splitlines()[-1]).items():
        lines = diff.splitlines()
        removed = " / ".join(line[1:].strip() for line in lines if line.startswith("-") and not line.startswith("---"))
        added = " / ".join(line[1:].strip() for line in lines if line.startswith("+") and not line.startswith("+++"))
        why = EQUIVALENT.get((removed, added))
        verdict = f"  [equivalent: {why}]" if why else ""
        function = mutant.rsplit("__mutmut_", 1)[0]
        if function in IMPORT_TIME:
            verdict = f"  [runs at import, out of mutmut's reach: {IMPORT_TIME[function]}]"
        found[mutant] = f"-{removed} | +{added}{verdict}"
    return found


def scores(root: Path, group: Group) -> list[Score]:
    """Per mutated module: killed / run, and its survivors."""
    found = []
    for meta in sorted((root / "mutants").rglob("*.py.meta")):
        module = meta.relative_to(root / "mutants").as_posix().removesuffix(".meta")
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        run = {key: code for key, code in codes.items() if code not in NOT_RUN}
        if not run:
            continue
        survivors = sorted((k for k, code in run.items() if code not in KILLED), key=_natural)
        shown = changes(root, survivors)
        listed = [f"{key.rsplit('.', 1)[-1]}: {shown[key]}" for key in survivors]
        found.append(Score(module, len(run) - len(survivors), len(run), listed))
    return found


def _natural(key: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", key)]


def only_modules(group: Group, modules: list[str]) -> Group | None:
    """``group`` mutating only the files named ``<module>.py`` of ``modules`` (all when empty); None when
    none of its files is named."""
    if not modules:
        return group
    files = sorted({path.relative_to(REPO).as_posix() for pattern in group.mutate for path in REPO.glob(pattern)})
    mutate = tuple(file for file in files if Path(file).stem in modules)
    return replace(group, mutate=mutate) if mutate else None


def run(tmp: Path):
    wanted = [w for w in os.environ.get("MUTATION_GROUPS", "").split(",") if w]
    modules = [m.strip() for m in os.environ.get("MUTATION_MODULES", "").split(",") if m.strip()]
    children = os.environ.get("MUTATION_CHILDREN", "2")
    for group in GROUPS:
        if wanted and group.name not in wanted:
            continue
        group = only_modules(group, modules)
        if group is None:
            continue
        root = copy_repo(tmp / group.name)
        configure(root, group)
        result = mutmut(root, "run", "--max-children", children)
        if result.returncode != 0 or not (root / "mutants").is_dir():
            raise RuntimeError(f"mutmut run ({group.name}) failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        yield from scores(root, group)
