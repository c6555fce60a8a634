"""The ``functions:`` section of ``tight.yml`` and the app's HTTP route table (docs/configuration.md).

One reader for ``tight local.serve`` and the deploy template: pure, no I/O (callers pass the parsed
``tight.yml`` mapping and the app's function names). By default a ``lambda_proxy`` function ``NAME`` (the
default ``type``, the only one with routes) answers ``/NAME`` and ``/NAME/{proxy+}``. Path templates follow
API Gateway: ``{name}`` is one segment, ``{name+}`` (last segment only) the rest of the path.

Errors raise :class:`FunctionsConfigError`; the message names the function.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

TYPES = ("lambda_proxy", "sqs", "schedule", "s3", "dynamodb_stream", "authorizer")
DEFAULTS: dict[str, Any] = {"type": "lambda_proxy", "memory": 256, "timeout": 30, "log_retention": 14}
#: CloudWatch Logs' allowed retention periods, in days.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)
#: Keys that only mean something for some types.
TYPE_KEYS = {
    "path": ("lambda_proxy",),
    "schedule": ("schedule",),
    "bucket": ("s3",),
    "events": ("s3",),
    "prefix": ("s3",),
    "table": ("dynamodb_stream",),
    "batch_size": ("sqs", "dynamodb_stream"),
    # where failed events go (deploy: tight_tasks/deploy/failures.py)
    "retries": ("dynamodb_stream", "schedule", "s3"),
    "max_age": ("dynamodb_stream", "schedule", "s3"),
    "bisect": ("dynamodb_stream",),
    # who may call (tight.dev.auth)
    "auth": ("lambda_proxy",),
    "scopes": ("lambda_proxy",),
    "url": ("lambda_proxy",),
    "ttl": ("authorizer",),
    "header": ("authorizer",),
    "fifo": ("sqs",),
}
#: The event types an S3 bucket can notify a function of.
S3_EVENTS = frozenset(f"s3:{e}" for e in (
    "ObjectCreated:*", "ObjectCreated:Put", "ObjectCreated:Post", "ObjectCreated:Copy",
    "ObjectCreated:CompleteMultipartUpload", "ObjectRemoved:*", "ObjectRemoved:Delete",
    "ObjectRemoved:DeleteMarkerCreated", "ObjectRestore:*", "ObjectRestore:Post", "ObjectRestore:Completed",
    "ObjectRestore:Delete", "ReducedRedundancyLostObject", "Replication:*", "Replication:OperationFailedReplication",
    "Replication:OperationMissedThreshold", "Replication:OperationReplicatedAfterThreshold",
    "Replication:OperationNotTracked", "LifecycleExpiration:*", "LifecycleExpiration:Delete",
    "LifecycleExpiration:DeleteMarkerCreated", "LifecycleTransition", "IntelligentTiering", "ObjectTagging:*",
    "ObjectTagging:Put", "ObjectTagging:Delete", "ObjectAcl:Put"))
#: Keys a type cannot do without, with an example value.
REQUIRED = {"schedule": {"schedule": "rate(5 minutes)"}, "s3": {"bucket": "uploads"},
            "dynamodb_stream": {"table": "MyModel"}}
#: Keys every type takes: ``tables`` adds models (or tables) to those the code imports, for its IAM role.
KEYS = ("type", "memory", "timeout", "log_retention", "uses", "tables", *TYPE_KEYS,
        "snapstart", "provisioned_concurrency", "reserved_concurrency")
#: The path local.serve keeps for its dashboard: no function route may start with it.
RESERVED_PATH = "/_tight"

_LITERAL = re.compile(r"[A-Za-z0-9._~:@!$&'()*,;=-]+")
_VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}")


class FunctionsConfigError(ValueError):
    """A ``functions:`` entry of tight.yml that cannot be used; the message names the function."""


class Route(NamedTuple):
    function: str
    #: The API Gateway resource template, e.g. ``/accounts/{id}``.
    path: str


class Match(NamedTuple):
    route: Route
    #: Path parameter values by name (``{"id": "42"}``), empty for a literal route.
    params: dict[str, str]


# -- settings ------------------------------------------------------------------------

def _section(config: Mapping[str, Any] | None) -> dict[str, Any]:
    section = (config or {}).get("functions")
    if section is None:
        return {}
    if not isinstance(section, Mapping):
        raise FunctionsConfigError(
            f"tight.yml: functions must be a mapping of function name: settings, got {type(section).__name__}")
    return {str(name): entry for name, entry in section.items()}


def _whole(name: str, key: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FunctionsConfigError(f"function {name!r}: {key} must be a whole number from {low} to {high}, "
                                   f"got {value!r}")
    return value


def _text(name: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FunctionsConfigError(f"function {name!r}: {key} must be a non-empty string, got {value!r}")
    return value


def _check(name: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(str(k) for k in entry if k not in KEYS)
    if unknown:
        raise FunctionsConfigError(f"function {name!r}: unknown key{'s' if len(unknown) > 1 else ''} "
                                   f"{', '.join(unknown)} (known: {', '.join(KEYS)})")
    result = {**DEFAULTS, **{k: v for k, v in entry.items() if v is not None}}
    kind = result["type"]
    if kind not in TYPES:
        raise FunctionsConfigError(f"function {name!r}: type {kind!r} is not one of {', '.join(TYPES)}")
    for key, types in TYPE_KEYS.items():
        if key in result and kind not in types:
            raise FunctionsConfigError(f"function {name!r}: {key} applies to type {' or '.join(types)}, "
                                       f"not {kind}")
    _whole(name, "memory", result["memory"], 128, 10240)
    _whole(name, "timeout", result["timeout"], 1, 900)
    if result["log_retention"] not in LOG_RETENTION_DAYS or isinstance(result["log_retention"], bool):
        raise FunctionsConfigError(f"function {name!r}: log_retention must be one of "
                                   f"{', '.join(map(str, LOG_RETENTION_DAYS))} days, got {result['log_retention']!r}")
    if "batch_size" in result:
        _whole(name, "batch_size", result["batch_size"], 1, 10000)
    _check_failures(name, result)
    for key in ("schedule", "bucket", "prefix", "table"):
        if key in result:
            _text(name, key, result[key])
    if "schedule" in result:
        check_schedule(name, result["schedule"])
    if "tables" in result:
        tables = result["tables"]
        if not isinstance(tables, list) or not all(isinstance(t, str) and t.strip() for t in tables):
            raise FunctionsConfigError(f"function {name!r}: tables must be a list of model names, got {tables!r}")
    if "events" in result:
        events = [result["events"]] if isinstance(result["events"], str) else result["events"]
        if not isinstance(events, list) or not events:
            raise FunctionsConfigError(f"function {name!r}: events must be a string or a list of strings")
        result["events"] = [_text(name, "events", e) for e in events]
        unknown = [e for e in result["events"] if e not in S3_EVENTS]
        if unknown:
            raise FunctionsConfigError(f"function {name!r}: events {unknown[0]!r} is not an S3 event type "
                                       "(e.g. s3:ObjectCreated:*, s3:ObjectRemoved:Delete)")
    _check_concurrency(name, result)
    if not isinstance(result.get("fifo", False), bool):
        raise FunctionsConfigError(f"function {name!r}: fifo must be true or false, got {result['fifo']!r}")
    if "uses" in result:
        result["uses"] = _uses(name, result["uses"])
    if "prefix" in result and len(result["prefix"].encode("utf-8")) > 1024:
        raise FunctionsConfigError(f"function {name!r}: prefix is longer than an S3 key (1,024 bytes)")
    if "path" in result:
        result["path"] = paths(name, result["path"])
    from .auth import DEFAULT_TTL, check_function_keys

    check_function_keys(name, result)
    if kind == "authorizer":
        result.setdefault("ttl", DEFAULT_TTL)
        result.setdefault("header", "Authorization")
    missing = [key for key in REQUIRED.get(kind, ()) if key not in result]
    if missing:
        raise FunctionsConfigError(f"function {name!r}: type {kind} needs {missing[0]} "
                                   f"(e.g. {missing[0]}: {REQUIRED[kind][missing[0]]})")
    return result


#: Ranges AWS takes for ``retries`` and ``max_age`` (seconds): stream event source mappings, async invocations.
FAILURE_RANGES = {"dynamodb_stream": {"retries": (0, 10000), "max_age": (60, 604800)},
                  "schedule": {"retries": (0, 2), "max_age": (60, 21600)}}
FAILURE_RANGES["s3"] = FAILURE_RANGES["schedule"]


def _check_failures(name: str, result: dict[str, Any]) -> None:
    for key, (low, high) in FAILURE_RANGES.get(result["type"], {}).items():
        if key in result:
            _whole(name, key, result[key], low, high)
    if "bisect" in result and not isinstance(result["bisect"], bool):
        raise FunctionsConfigError(f"function {name!r}: bisect must be true or false, got {result['bisect']!r}")


_RATE = re.compile(r"rate\(([1-9][0-9]{0,8}) (minutes?|hours?|days?)\)")
_CRON_FIELD = re.compile(r"[0-9A-Za-z*?,/#-]+")


def _check_concurrency(name: str, result: dict[str, Any]) -> None:
    """``snapstart`` (true/false), ``provisioned_concurrency`` and ``reserved_concurrency`` (whole numbers)."""
    if not isinstance(result.get("snapstart", False), bool):
        raise FunctionsConfigError(f"function {name!r}: snapstart must be true or false, got {result['snapstart']!r}")
    if "provisioned_concurrency" in result:
        _whole(name, "provisioned_concurrency", result["provisioned_concurrency"], 1, 10000)
    if "reserved_concurrency" in result:
        _whole(name, "reserved_concurrency", result["reserved_concurrency"], 0, 10000)
    if result.get("snapstart") and result.get("provisioned_concurrency"):
        raise FunctionsConfigError(f"function {name!r}: snapstart and provisioned_concurrency cannot be used "
                                   "together: Lambda refuses SnapStart on a version with provisioned concurrency "
                                   "(keep one of them)")
    reserved, provisioned = result.get("reserved_concurrency"), result.get("provisioned_concurrency")
    if reserved is not None and provisioned and provisioned > reserved:
        raise FunctionsConfigError(f"function {name!r}: provisioned_concurrency {provisioned} is above "
                                   f"reserved_concurrency {reserved}: raise reserved_concurrency or lower it")


def check_schedule(name: str, expression: str) -> str:
    """An EventBridge schedule: ``rate(N unit)`` (unit singular for 1) or a six-field ``cron(...)``."""
    def bad(why: str) -> FunctionsConfigError:
        return FunctionsConfigError(f"function {name!r}: schedule {expression!r} {why}")

    rate = _RATE.fullmatch(expression)
    if expression.startswith("rate("):
        if not rate:
            raise bad("is not rate(N minutes|hours|days) with N a whole number from 1")
        if (rate.group(1) == "1") != (not rate.group(2).endswith("s")):
            raise bad("needs a singular unit for 1 and a plural one otherwise (rate(1 hour), rate(5 hours))")
        return expression
    if not (expression.startswith("cron(") and expression.endswith(")")):
        raise bad("must be rate(...) or cron(...)")
    fields = expression[5:-1].split()
    if len(fields) != 6 or not all(_CRON_FIELD.fullmatch(f) for f in fields):
        raise bad("needs six cron fields: minutes hours day-of-month month day-of-week year")
    if (fields[2] == "?") == (fields[4] == "?"):
        raise bad("needs ? in exactly one of day-of-month and day-of-week (e.g. cron(0 3 * * ? *))")
    return expression


def function_settings(config: Mapping[str, Any] | None, names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Settings of every function in ``names`` (defaults filled in), from tight.yml's mapping ``config``.

    An entry for a function not in ``names`` is an error (a typo would be silently ignored otherwise).
    """
    names = list(names)
    section = _section(config)
    strays = sorted(set(section) - set(names))
    if strays:
        known = ", ".join(names) or "none"
        raise FunctionsConfigError(f"function {strays[0]!r} in tight.yml has no app/functions/{strays[0]}/handler.py "
                                   f"(functions: {known})")
    result = {}
    for name in names:
        entry = section.get(name)
        if entry is None:
            entry = {}
        if not isinstance(entry, Mapping):
            raise FunctionsConfigError(f"function {name!r}: expected a mapping of settings "
                                       f"(path, memory, ...), got {type(entry).__name__}")
        result[name] = _check(name, entry)
    for name, settings in result.items():
        _check_uses(name, settings.get("uses", ()), result)
    from .auth import check

    check(config)
    return result


def _uses(name: str, value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
        raise FunctionsConfigError(f"function {name!r}: uses must be a list of sqs or s3 function names, "
                                   f"e.g. uses: [orders], got {value!r}")
    return list(dict.fromkeys(items))


def _check_uses(name: str, uses: Iterable[str], functions: Mapping[str, Mapping[str, Any]]) -> None:
    """Every name in ``uses`` is an sqs function (a queue) or an s3 function (a bucket) of the app."""
    for used in uses:
        if functions.get(used, {}).get("type") in ("sqs", "s3"):
            continue
        queues = sorted(n for n, s in functions.items() if s["type"] == "sqs") or ["none"]
        buckets = sorted(n for n, s in functions.items() if s["type"] == "s3") or ["none"]
        what = f"a {functions[used]['type']} function" if used in functions else "not a function of the app"
        raise FunctionsConfigError(f"function {name!r}: uses {used!r}, which is {what}: list sqs functions "
                                   f"(queues: {', '.join(queues)}) or s3 functions (buckets: {', '.join(buckets)})")


# -- paths ---------------------------------------------------------------------------

def _segments(path: str) -> list[str]:
    return [] if path == "/" else path[1:].split("/")


def check_path(function: str, path: Any) -> str:
    """``path`` if it is a valid API Gateway resource template, else :class:`FunctionsConfigError`."""
    def bad(why: str) -> FunctionsConfigError:
        return FunctionsConfigError(f"function {function!r}: path {path!r} {why}")

    if not isinstance(path, str) or not path.startswith("/"):
        raise bad("must be a string starting with /")
    segments = _segments(path)
    seen: set[str] = set()
    for index, segment in enumerate(segments):
        variable = _VARIABLE.fullmatch(segment)
        if variable:
            if variable.group(1) in seen:
                raise bad(f"uses {{{variable.group(1)}}} twice")
            seen.add(variable.group(1))
            if variable.group(2) and index != len(segments) - 1:
                raise bad(f"has {segment} before its end: a greedy {{name+}} must be the last segment")
        elif segment in ("", ".", ".."):
            raise bad("has an empty, '.' or '..' segment")
        elif not _LITERAL.fullmatch(segment):
            raise bad(f"has a malformed segment {segment!r} (use letters, digits, ._-~: or {{name}}, {{name+}})")
    return path


def paths(function: str, value: Any) -> list[str]:
    """The path templates of a ``path:`` value (a string or a list of strings)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise FunctionsConfigError(f"function {function!r}: path must be a string or a non-empty list of strings")
    return [check_path(function, item) for item in items]


def routes(config: Mapping[str, Any] | None, names: Iterable[str]) -> list[Route]:
    """The app's HTTP routes, sorted by path: one per path of every ``lambda_proxy`` function."""
    found: dict[str, Route] = {}
    for name, fn in function_settings(config, names).items():
        if fn["type"] != "lambda_proxy":
            continue
        for path in fn.get("path") or [f"/{name}", f"/{name}/{{proxy+}}"]:
            if path == RESERVED_PATH or path.startswith(RESERVED_PATH + "/"):
                raise FunctionsConfigError(f"function {name!r}: path {path} is under {RESERVED_PATH}/, which "
                                           "local.serve keeps for its dashboard: choose another path")
            key = re.sub(r"\{[^}/]*?(\+?)\}", r"{}\1", path)  # /a/{id} and /a/{key} are the same resource
            if key in found:
                other = found[key]
                raise FunctionsConfigError(f"function {name!r}: path {path} is already taken by "
                                           f"function {other.function!r} ({other.path})")
            found[key] = Route(name, path)
    table = sorted(found.values(), key=lambda r: (r.path, r.function))
    _check_siblings(table)
    return table


def _check_siblings(table: list[Route]) -> None:
    """API Gateway allows one variable child per resource: ``/a/{id}`` and ``/a/{key}`` conflict."""
    variables: dict[tuple[str, ...], Route] = {}
    for route in table:
        segments = _segments(route.path)
        for index, segment in enumerate(segments):
            if not segment.startswith("{"):
                continue
            parent = tuple(segments[:index])
            other = variables.setdefault(parent, route)
            other_segment = _segments(other.path)[index]
            if other_segment != segment:
                raise FunctionsConfigError(
                    f"function {route.function!r}: path {route.path} puts {segment} where function "
                    f"{other.function!r} ({other.path}) has {other_segment}: API Gateway allows one "
                    f"{{variable}} per level; use the same name")


# -- matching ------------------------------------------------------------------------

class RouteTable:
    """Match request paths to routes, preferring literal segments, then ``{name}``, then ``{name+}``."""

    def __init__(self, table: Iterable[Route]):
        self.routes = list(table)
        self._tree: dict[str, Any] = {}
        for route in self.routes:
            node = self._tree
            for segment in _segments(route.path):
                node = node.setdefault(segment, {})
            node[""] = route  # "" never is a segment of a valid template

    def match(self, path: str) -> Match | None:
        """The route answering ``path`` (decoded, e.g. ``/accounts/42``) and its parameters, or None."""
        parts = [p for p in path.split("/") if p]
        return _walk(self._tree, parts, {})

    def functions(self) -> list[str]:
        return sorted({r.function for r in self.routes})


def _walk(node: dict[str, Any], parts: list[str], params: dict[str, str]) -> Match | None:
    if not parts:
        route = node.get("")
        return Match(route, dict(params)) if route is not None else None
    head, rest = parts[0], parts[1:]
    child = node.get(head)
    if child is not None and not head.startswith("{"):
        found = _walk(child, rest, params)
        if found:
            return found
    for segment, child in node.items():
        variable = _VARIABLE.fullmatch(segment)
        if not variable:
            continue
        if variable.group(2):
            if "" in child:
                return Match(child[""], {**params, variable.group(1): "/".join(parts)})
            continue
        found = _walk(child, rest, {**params, variable.group(1): head})
        if found:
            return found
    return None
