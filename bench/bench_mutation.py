"""Mutation testing (mutmut 3, the ``bench`` extra): how many small changes to the code its tests notice.

mutmut changes one thing at a time (an operator, a constant, a string, a call argument) in each module
below and runs the tests that reach the changed function; a mutant the tests still pass is a "survivor".
The score of a module is the share of its mutants killed (timeouts count as killed; survivors and
mutants no selected test reaches count against it). Target: >= 90% per module.

Each group runs in a temporary copy of the repository (mutmut writes its ``mutants/`` tree there, never
here) against a fast test selection: pure tests, no deploys, no generated apps, no cfn-lint. Survivors are
listed with their change; ones judged equivalent (the code behaves the same) say why (``EQUIVALENT``).

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

FAST_PATH = "reading __code__ is a shortcut: inspect.signature gives the same names"
ROUTES_SORTED = ("tight.dev.routes.routes gives the routes sorted by path (paths are unique); sorting again by "
                 "function and path changes no resource, only the order of keys in the template")
C_DUMPER = "the C dumper (libyaml) writes the same text as SafeDumper, only faster"
SIZE_ONLY = "only the length of the policy's text counts, and the case of a letter does not change it"
UNUSED_PREFIX = "every caller passes the prefix; without one, only a table name starting with XXXX could tell"
SLASH = "a name starting with / is never a plain name, whatever the separator: it gets a digest either way"
SHORT = "function_name is at most 64 characters, so this limit (and one more) never shortens the name"
CODEC = "codec names are case-insensitive"
FAST_DICT = "a shortcut for the usual dict: isinstance(..., Mapping) gives the same answer"
INFINITY = "only an infinite Decimal reaches the comparison, and it is never between 0 and 1"
PATH_FAST = "a shortcut: request.path_parameters reads the same event key"
BODY_FAST = "a shortcut: request.body is None for an absent or empty body"
NO_CONTEXT = "an error response reads nothing from the Lambda context"
#: Survivors judged equivalent: (removed line, added line) with surrounding spaces stripped -> why.
EQUIVALENT = {
    ('origin = headers.get("origin")', 'origin = headers.get("ORIGIN")'):
        "request headers are a case-insensitive mapping",
    ('allowed = policy.allowed_origin(headers.get("origin"))', 'allowed = policy.allowed_origin(headers.get("ORIGIN"))'):
        "request headers are a case-insensitive mapping",
    ('allowed = policy.allowed_origin(request.headers.get("origin"))',
     'allowed = policy.allowed_origin(request.headers.get("ORIGIN"))'):
        "request headers are a case-insensitive mapping",
    ('if policy is None or response.has("Access-Control-Allow-Origin") or \\',
     'if policy is None or response.has("access-control-allow-origin") or \\'):
        "response header names are looked up in lower case",
    ('if policy is None or response.has("Access-Control-Allow-Origin") or \\',
     'if policy is None or response.has("ACCESS-CONTROL-ALLOW-ORIGIN") or \\'):
        "response header names are looked up in lower case",
    ('response.was_removed("Access-Control-Allow-Origin"):', 'response.was_removed("access-control-allow-origin"):'):
        "response header names are looked up in lower case",
    ('response.was_removed("Access-Control-Allow-Origin"):', 'response.was_removed("ACCESS-CONTROL-ALLOW-ORIGIN"):'):
        "response header names are looked up in lower case",
    ('requested = [h.strip() for h in headers.get("access-control-request-headers", "").split(",") if h.strip()]',
     'requested = [h.strip() for h in headers.get("ACCESS-CONTROL-REQUEST-HEADERS", "").split(",") if h.strip()]'):
        "request headers are a case-insensitive mapping",
    ('key = re.sub(r"\\{[^}/]*?(\\+?)\\}", r"{}\\1", path)  # /a/{id} and /a/{key} are the same resource',
     'key = re.sub(r"\\{[^}/]*?(\\+?)\\}", r"XX{}\\1XX", path)  # /a/{id} and /a/{key} are the same resource'):
        "the key is only compared with keys made the same way",
    ('return resource_name(app, name, 80, end), resource_name(app, name, 80, "-dlq" + end)',
     'return resource_name(app, name, 81, end), resource_name(app, name, 80, "-dlq" + end)'): SHORT,
    ('return resource_name(app, name, 80, end), resource_name(app, name, 80, "-dlq" + end)',
     'return resource_name(app, name, 80, end), resource_name(app, name, 81, "-dlq" + end)'): SHORT,
    ('"Name": resource_name(app, name, 64),', '"Name": resource_name(app, name, 65),'): SHORT,
    ('"VisibilityTimeout": min(43_200, 6 * int(settings["timeout"])),',
     '"VisibilityTimeout": min(43201, 6 * int(settings["timeout"])),'):
        "timeout is at most 900 s (routes), so 6x never reaches SQS's 43,200",
    ('return a == b or (a.endswith(":*") and b.startswith(a[:-1])) or (b.endswith(":*") and a.startswith(b[:-1]))',
     'return a == b or (a.endswith(":*") and b.startswith(a[:-2])) or (b.endswith(":*") and a.startswith(b[:-1]))'):
        "no S3 event type starts with a wildcard's prefix without its ':'",
    ('return a == b or (a.endswith(":*") and b.startswith(a[:-1])) or (b.endswith(":*") and a.startswith(b[:-1]))',
     'return a == b or (a.endswith(":*") and b.startswith(a[:-1])) or (b.endswith(":*") and a.startswith(b[:-2]))'):
        "no S3 event type starts with a wildcard's prefix without its ':'",
    ('code = function.__code__', 'code = None'): FAST_PATH,
    ('log().exception("%s", what, extra=fields)', 'log().exception(what, extra=fields)'):
        "a message without arguments is not %-formatted by logging",
    ('head, sep, rest = str(arn or "").partition(":execute-api:")',
     'head, sep, rest = str(arn or "XXXX").partition(":execute-api:")'):
        "without an ARN neither default holds ':execute-api:', and the answer is '*'",
    ('return None if value.is_finite() else (path, "NaN" if value.is_nan() else f"{\'-\' if value < 0 else \'\'}Infinity")',
     'return None if value.is_finite() else (path, "NaN" if value.is_nan() else f"{\'-\' if value <= 0 else \'\'}Infinity")'):
        INFINITY,
    ('return None if value.is_finite() else (path, "NaN" if value.is_nan() else f"{\'-\' if value < 0 else \'\'}Infinity")',
     'return None if value.is_finite() else (path, "NaN" if value.is_nan() else f"{\'-\' if value < 1 else \'\'}Infinity")'):
        INFINITY,
    ('response.body = base64.b64encode(bytes(body)).decode("ascii")',
     'response.body = base64.b64encode(bytes(body)).decode("ASCII")'):
        CODEC,
    ('response.set(name, list(values) if isinstance(values, (list, tuple)) else values)',
     'response.set(name, list(values) if (isinstance(values, (list, tuple))) and False else values)'):
        "Response.set copies lists and tuples itself",
    ('handler = registered.get(method) if method else None',
     'handler = registered.get(method) if (method) or True else None'):
        "no handler is registered under None",
    ('parameters = event.get("pathParameters")',
     'parameters = None'):
        PATH_FAST,
    ('parameters = event.get("pathParameters")',
     'parameters = event.get(None)'):
        PATH_FAST,
    ('parameters = event.get("pathParameters")',
     'parameters = event.get("XXpathParametersXX")'):
        PATH_FAST,
    ('parameters = event.get("pathParameters")',
     'parameters = event.get("pathparameters")'):
        PATH_FAST,
    ('parameters = event.get("pathParameters")',
     'parameters = event.get("PATHPARAMETERS")'):
        PATH_FAST,
    ('"body": None if raw_body is None or raw_body == "" else request.body,',
     '"body": None if (raw_body is None or raw_body == "") and False else request.body,'):
        BODY_FAST,
    ('"body": None if raw_body is None or raw_body == "" else request.body,',
     '"body": None if raw_body is None and raw_body == "" else request.body,'):
        BODY_FAST,
    ('"body": None if raw_body is None or raw_body == "" else request.body,',
     '"body": None if raw_body is None or raw_body == "XXXX" else request.body,'):
        BODY_FAST,
    ('"path_parameters": dict(parameters) if type(parameters) is dict else request.path_parameters,',
     '"path_parameters": dict(parameters) if (type(parameters) is dict) and False else request.path_parameters,'):
        PATH_FAST,
    ('"path_parameters": dict(parameters) if type(parameters) is dict else request.path_parameters,',
     '"path_parameters": dict(parameters) if type(None) is dict else request.path_parameters,'):
        PATH_FAST,
    ('"principal_id": principal_id(event) if "requestContext" in event else None}',
     '"principal_id": principal_id(event) if ("requestContext" in event) or True else None}'):
        "principal_id() of an event without a requestContext is None",
    ('elif name == "event":',
     'elif name == "XXeventXX":'):
        "the fallback, getattr(request, name), reads the same attribute",
    ('elif name == "event":',
     'elif name == "EVENT":'):
        "the fallback, getattr(request, name), reads the same attribute",
    ('elif name == "context":',
     'elif name == "XXcontextXX":'):
        "the fallback, getattr(request, name), reads the same attribute",
    ('elif name == "context":',
     'elif name == "CONTEXT":'):
        "the fallback, getattr(request, name), reads the same attribute",
    ('request = Request(event if type(event) is dict or isinstance(event, Mapping) else {}, context)',
     'request = Request(event if type(None) is dict or isinstance(event, Mapping) else {}, context)'):
        FAST_DICT,
    ('elif getattr(exc, "one_line", False):  # NaN in the body...: the message says what and where',
     'elif getattr(exc, "one_line", None):  # NaN in the body...: the message says what and where'):
        "both defaults are false",
    ('request = Request(event if isinstance(event, Mapping) else {}, context)',
     'request = Request(event if isinstance(event, Mapping) else {}, None)'):
        NO_CONTEXT,
    ('request = Request(event if isinstance(event, Mapping) else {}, context)',
     'request = Request(event if isinstance(event, Mapping) else {}, )'):
        NO_CONTEXT,
    ('if type(value) is dict:  # the usual case, without the ABC check',
     'if type(None) is dict:  # the usual case, without the ABC check'):
        FAST_DICT,
    ('return int(size) if size is not None else None', 'return int(size) if (size is not None) or True else None'):
        "int(None) raises TypeError, which is caught: None as well",
    ('return RECORD_SOURCES.get(record_source(found[0]) or "", "an event with unknown Records")',
     'return RECORD_SOURCES.get(record_source(found[0]) or "XXXX", "an event with unknown Records")'):
        "neither default is a record source",
    ('if ".lambda-url." in str(context.get("domainName") or ""):',
     'if ".lambda-url." in str(context.get("domainName") or "XXXX"):'):
        "without a domain name neither default holds '.lambda-url.'",
    ('text = raw.decode("utf-8") if encoded else body',
     'text = raw.decode("UTF-8") if encoded else body'):
        CODEC,
    ('return json.dumps(body).encode("utf-8")',
     'return json.dumps(body).encode("UTF-8")'):
        CODEC,
    ('return body.encode("utf-8")',
     'return body.encode("UTF-8")'):
        CODEC,
    ('return body.encode("utf-8", "surrogatepass")',
     'return body.encode("UTF-8", "surrogatepass")'):
        CODEC,
    ('routes = sorted(app.routes, key=lambda r: (r.path, r.function))', 'routes = sorted(app.routes, key=None)'):
        ROUTES_SORTED,
    ('routes = sorted(app.routes, key=lambda r: (r.path, r.function))', 'routes = sorted(app.routes, )'):
        ROUTES_SORTED,
    ('auth = method_auth(app, route.function, http=False)', 'auth = method_auth(app, route.function, http=None)'):
        "http is only tested for truth, and None is false like False",
    ('class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):', 'class Dumper(getattr(None, "CSafeDumper", yaml.SafeDumper)):'): C_DUMPER,
    ('class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):', 'class Dumper(getattr(yaml, "CSafeDumper", None)):'): C_DUMPER,
    ('class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):', 'class Dumper(getattr(yaml, "CSafeDumper", )):'): C_DUMPER,
    ('class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):', 'class Dumper(getattr(yaml, "XXCSafeDumperXX", yaml.SafeDumper)):'): C_DUMPER,
    ('class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):', 'class Dumper(getattr(yaml, "csafedumper", yaml.SafeDumper)):'): C_DUMPER,
    ('class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):', 'class Dumper(getattr(yaml, "CSAFEDUMPER", yaml.SafeDumper)):'): C_DUMPER,
    ('return yaml.dump(dict(template), Dumper=Dumper, default_flow_style=False, sort_keys=False, width=4096)',
     'return yaml.dump(dict(template), Dumper=Dumper, default_flow_style=False, sort_keys=None, width=4096)'):
        "yaml only tests sort_keys for truth, and None is false like False",
    ('return yaml.dump(dict(template), Dumper=Dumper, default_flow_style=False, sort_keys=False, width=4096)',
     'return yaml.dump(dict(template), Dumper=Dumper, sort_keys=False, width=4096)'):
        "block style (default_flow_style=False) is PyYAML's own default since 5.1",
    ('return yaml.dump(dict(template), Dumper=Dumper, default_flow_style=False, sort_keys=False, width=4096)',
     'return yaml.dump(dict(template), Dumper=Dumper, default_flow_style=False, sort_keys=False, width=4097)'):
        "only where a line longer than 4,096 columns is folded changes, and YAML reads a folded line back the same",
    ('text = json.dumps({"Version": "2012-10-17", "Statement": resolved}, separators=(",", ":"))',
     'text = json.dumps({"version": "2012-10-17", "Statement": resolved}, separators=(",", ":"))'): SIZE_ONLY,
    ('text = json.dumps({"Version": "2012-10-17", "Statement": resolved}, separators=(",", ":"))',
     'text = json.dumps({"VERSION": "2012-10-17", "Statement": resolved}, separators=(",", ":"))'): SIZE_ONLY,
    ('text = json.dumps({"Version": "2012-10-17", "Statement": resolved}, separators=(",", ":"))',
     'text = json.dumps({"Version": "2012-10-17", "statement": resolved}, separators=(",", ":"))'): SIZE_ONLY,
    ('text = json.dumps({"Version": "2012-10-17", "Statement": resolved}, separators=(",", ":"))',
     'text = json.dumps({"Version": "2012-10-17", "STATEMENT": resolved}, separators=(",", ":"))'): SIZE_ONLY,
    ('return "x" * GET_ATT_ARN if isinstance(resource, dict) else resource',
     'return "X" * GET_ATT_ARN if isinstance(resource, dict) else resource'): SIZE_ONLY,
    ('start = arn.find(marker) + len(marker)', 'start = arn.rfind(marker) + len(marker)'):
        "a marker is in an ARN once at most (table and log group names hold no ':')",
    ('return grants(app, name, settings)', 'return grants(app, None, settings)'):
        "producers.grants reads only the function's settings (the name is the provider's signature)",
    ('def table_id(table: str, prefix: str = "") -> str:', 'def table_id(table: str, prefix: str = "XXXX") -> str:'):
        UNUSED_PREFIX,
    ('def table_parts(spec: Mapping[str, Any], prefix: str = "", recovery: bool = True, protect: bool = False) -> Parts:',
     'def table_parts(spec: Mapping[str, Any], prefix: str = "XXXX", recovery: bool = True, protect: bool = False) -> Parts:'):
        UNUSED_PREFIX,
    ('return logical_id("Table", f"/{table}", separator="-")', 'return logical_id("Table", f"/{table}", )'): SLASH,
    ('return logical_id("Table", f"/{table}", separator="-")', 'return logical_id("Table", f"/{table}", separator="XX-XX")'):
        SLASH,
    ('for depth in range(1, len(segments) + 1):', 'for depth in range(len(segments) + 1):'):
        "depth 0 is the root, which is known before the loop (and skipped in it)",
    ('for depth in range(1, len(segments) + 1):', 'for depth in range(1, len(segments) + 2):'):
        "one past the last segment is the whole path again, made the step before (and skipped)",
}


#: Functions that run only when their module is imported, before mutmut switches a mutant on in the test
#: process: their mutants cannot fail a test, whatever it checks (mutant name prefix -> what covers them).
#: A test that calls the function itself reaches them: test_runtime_proxy_units makes ``lambda_proxy._register``
#: and test_runtime_authorizer_units ``records.decorator`` at test time, so neither needs an entry.
IMPORT_TIME: dict[str, str] = {}


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
