"""``tight deploy.status`` and ``tight deploy.logs``: what is deployed, and what it logged (reads only)."""
from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..config import fail, usage_error
from ..console import say, warn
from .cloud import Cloud, CloudError
from .parts import log_group_name, stack_name

SINCE = re.compile(r"(\d+)([smhd])")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def code_hex(code_sha256: str) -> str:
    """Lambda's base64 CodeSha256 as hex (what ``sha256sum`` prints for the zip)."""
    try:
        return base64.b64decode(code_sha256).hex()
    except (ValueError, TypeError):
        return str(code_sha256)


def status(settings: Mapping[str, Any], stage: str, region: str | None = None, out: Callable[[str], None] = say,
           cloud_factory: Callable[..., Cloud] | None = None) -> dict[str, Any]:
    """Print the stack's status, API URL, functions (last modified, code sha256) and tables."""
    from .deployer import api_url_of, connect
    from .inputs import check_name, check_stage

    stage, name = check_stage(stage), check_name(settings)
    stack = stack_name(name, stage)
    cloud = connect(region, cloud_factory)
    try:
        found = cloud.stack(stack)
        if found is None:
            raise fail(f"No stack {stack} in {cloud.region}: deploy it with `tight deploy --stage {stage}`.")
        resources = cloud.stack_resources(found["StackId"], nested=True)
        out(f"Stack {stack}: {found['StackStatus']} ({cloud.region}), "
            f"last changed {found.get('LastUpdatedTime') or found.get('CreationTime')}")
        url = api_url_of(cloud, found["StackId"], stage, resources)
        out(f"API: {url}" if url else "API: none (no HTTP routes)")
        for output in found.get("Outputs") or []:
            if output.get("OutputKey") != "ApiUrl":
                out(f"Output {output.get('OutputKey')}: {output.get('OutputValue')}")
        report: dict[str, Any] = {"status": found["StackStatus"], "api": url, "functions": {}, "tables": {}}
        for resource in sorted(resources, key=lambda r: r.get("PhysicalResourceId") or ""):
            physical = resource.get("PhysicalResourceId")
            if resource.get("ResourceType") == "AWS::Lambda::Function" and physical:
                config = cloud.call("lambda", "get_function_configuration", FunctionName=physical)
                report["functions"][physical] = config
                out(f"Function {physical}: {config.get('Runtime')}, {config.get('MemorySize')} MB, "
                    f"modified {config.get('LastModified')}, code sha256 {code_hex(config.get('CodeSha256', ''))}")
            elif resource.get("ResourceType") == "AWS::DynamoDB::Table" and physical:
                table = cloud.call("dynamodb", "describe_table", TableName=physical)["Table"]
                report["tables"][physical] = table
                out(f"Table {physical}: {table.get('TableStatus')}, {table.get('ItemCount', 0)} items")
        from . import history

        found = history.records(cloud, history.bucket_of(cloud, settings), name, stage)
        report["deployments"] = found
        for line in history.describe(found):
            out(line)
    except CloudError as exc:
        raise fail(str(exc)) from None
    return report


def since_ms(since: str, now: float) -> int:
    """``10m`` / ``2h`` / ``1d`` / ``30s`` before ``now``, in epoch milliseconds."""
    match = SINCE.fullmatch(str(since).strip())
    if not match:
        raise usage_error(f"--since {since!r} is not a duration: use a number and s, m, h or d (10m, 2h, 1d).")
    seconds = int(match.group(1)) * UNITS[match.group(2)]
    if seconds > now:  # before 1970: CloudWatch refuses a negative start time
        raise usage_error(f"--since {since!r} reaches back before 1970: CloudWatch keeps logs 10 years at most "
                          "(e.g. --since 3650d).")
    return int((now - seconds) * 1000)


def _line(event: Mapping[str, Any], level: str | None = None, request_id: str | None = None) -> str | None:
    """The event as printed (JSON records made readable), or None when ``--level``/``--request-id`` drop it."""
    from .logformat import keep, parse, readable

    message = str(event.get("message", ""))
    record = parse(message)
    if not keep(message, record, level, request_id):
        return None
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(event.get("timestamp", 0) / 1000))
    return f"{when} {readable(message, record)}"


def logs(root: Path, settings: Mapping[str, Any], function: str, stage: str, since: str = "10m",
         follow: bool = False, region: str | None = None, out: Callable[[str], None] = say,
         cloud_factory: Callable[..., Cloud] | None = None, level: str | None = None,
         request_id: str | None = None) -> int:
    """Print the function's CloudWatch log events since ``since`` (and new ones with ``follow``), those of
    ``level`` or above and of ``request_id`` when given; returns the count printed."""
    from tight.providers.aws.lambda_app.app import function_names

    from .deployer import connect
    from .inputs import check_name, check_stage
    from .logformat import LEVELS, level_name

    stage, name = check_stage(stage), check_name(settings)
    if level is not None and level_name(level) is None:
        raise usage_error(f"--level {level!r} is not a log level: use one of {', '.join(LEVELS)} (or WARNING).")
    level = level_name(level) if level is not None else None
    names = function_names(root)
    if function not in names:
        raise usage_error(f"No function {function!r} in app/functions (functions: {', '.join(names) or 'none'}).")
    cloud = connect(region, cloud_factory)
    group = log_group_name(name, stage, function)
    start = since_ms(since, cloud.clock())
    seen: set[str] = set()
    count = 0
    if follow:  # it may wait long for the first event: say what it waits for
        warn(f"Following {group} ({cloud.region}) from {since} ago; Ctrl-C stops.")
    try:
        while True:
            events = list(cloud.pages("logs", "filter_log_events", "events", logGroupName=group, startTime=start))
            for event in sorted(events, key=lambda e: (e.get("timestamp", 0), e.get("eventId", ""))):
                if event.get("eventId") in seen:
                    continue
                seen.add(event.get("eventId"))
                start = max(start, int(event.get("timestamp", 0)))
                line = _line(event, level, request_id)
                if line is not None:
                    out(line)
                    count += 1
            if not follow:
                if not count:
                    which = " matching " + " and ".join(
                        [f"--level {level}"] * bool(level) + [f"--request-id {request_id}"] * bool(request_id)) \
                        if level or request_id else ""
                    warn(f"No log events{which} in {group} ({cloud.region}) in the last {since}: "
                         "invoke the function, or look further back with --since 1d.")
                return count
            cloud.sleep(2)
    except CloudError as exc:
        if exc.code == "ResourceNotFoundException":
            raise fail(f"No log group {group} in {cloud.region}: deploy with `tight deploy --stage {stage}` "
                       "first.") from None
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        return count
