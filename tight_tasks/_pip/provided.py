"""What the Lambda Python runtimes ship beside the standard library, and what a zip may therefore leave out.

Lambda's Python runtimes carry boto3 and its dependencies (botocore, s3transfer,
jmespath, urllib3, python-dateutil, six). A vendored copy of one of them costs
zip size and cold-start time, and shadows the version the runtime's botocore
was built against. :func:`decide` leaves such a copy out of the artifact when
the runtime's version satisfies every requirement on it: the lines of
``requirements-vendor.txt`` and the ``Requires-Dist`` of every package that
stays in the zip (markers evaluated for the target runtime). A requirement the
runtime's version does not meet keeps the vendored copy, with the reason.

:data:`RUNTIME_PACKAGES` holds, per runtime, the versions tight counts on: the
oldest each runtime has shipped since tight supported it (AWS only moves them
up; see "Runtime-included SDK versions" in the Lambda developer guide). Pin a
newer version in ``requirements-vendor.txt`` when the app needs one: the
package then stays in the zip.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from .installers import LambdaTarget
from .requirements import normalize
from .vendordir import dist_infos

#: Projects Lambda's Python runtimes ship, in the order their messages list them.
PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six")

_AL2023_SDK = {"boto3": "1.34.145", "botocore": "1.34.145", "s3transfer": "0.10.2", "jmespath": "1.0.1",
               "urllib3": "1.26.19", "python-dateutil": "2.9.0.post0", "six": "1.16.0"}
_AL2_SDK = dict(_AL2023_SDK)

#: Runtime -> {project: version it ships}.
RUNTIME_PACKAGES: dict[str, dict[str, str]] = {
    "python3.10": _AL2_SDK,
    "python3.11": _AL2_SDK,
    "python3.12": _AL2023_SDK,
    "python3.13": _AL2023_SDK,
    "python3.14": {"boto3": "1.40.4", "botocore": "1.40.4", "s3transfer": "0.13.1", "jmespath": "1.0.1",
                   "urllib3": "1.26.20", "python-dateutil": "2.9.0.post0", "six": "1.17.0"},
}


@dataclass
class Decision:
    """Which vendored copies of the runtime's packages the zip leaves out, and which it keeps and why."""

    left_out: dict[str, str] = field(default_factory=dict)  # project -> vendored version
    kept: dict[str, str] = field(default_factory=dict)  # project -> why
    files: set[str] = field(default_factory=set)  # paths, relative to the vendor dir, of what is left out


def _environment(target: LambdaTarget) -> dict[str, str]:
    return {"python_version": target.python_version, "python_full_version": f"{target.python_version}.0",
            "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
            "platform_machine": target.arch, "implementation_name": "cpython",
            "platform_python_implementation": "CPython", "extra": ""}


def _requirements(texts: list[str], target: LambdaTarget) -> list:
    """The requirements among ``texts`` that apply on ``target`` (unparsable lines are skipped)."""
    from packaging.requirements import InvalidRequirement, Requirement

    environment = _environment(target)
    found = []
    for text in texts:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if requirement.marker is None or requirement.marker.evaluate(environment):
            found.append(requirement)
    return found


def _requires_dist(dist_info: Path) -> list[str]:
    try:
        text = (dist_info / "METADATA").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    head = text.split("\n\n", 1)[0]  # the headers; the description follows
    return [line.split(":", 1)[1].strip() for line in head.splitlines() if line.startswith("Requires-Dist:")]


def decide(vendor: Path, target: LambdaTarget, requirement_lines: list[str],
           requirements_name: str = "requirements-vendor.txt") -> Decision:
    """Which of :data:`PROVIDED` vendored in ``vendor`` the zip leaves out on ``target``'s runtime."""
    shipped = RUNTIME_PACKAGES.get(target.runtime, {})
    dists = {project: (name, version) for name, (project, version) in dist_infos(vendor).items()}
    candidates = {p for p in PROVIDED if p in dists and p in shipped}
    decision = Decision()
    for project in PROVIDED:
        if project in dists and project not in shipped:
            decision.kept[project] = f"Lambda {target.runtime} does not ship {project}"
    wanted = [(requirements_name, r) for r in _requirements(requirement_lines, target)]
    changed = True
    while changed:  # a kept package's own requirements count too: repeat until nothing changes
        changed = False
        needs = list(wanted)
        for project, (name, _) in sorted(dists.items()):
            if project not in candidates:
                needs += [(project, r) for r in _requirements(_requires_dist(vendor / name), target)]
        for who, requirement in needs:
            project = normalize(requirement.name)
            if project in candidates and not requirement.specifier.contains(shipped[project], prereleases=True):
                candidates.discard(project)
                decision.kept[project] = (f"{who} requires {requirement.name}{requirement.specifier}, and Lambda "
                                          f"{target.runtime} ships {project} {shipped[project]}")
                changed = True
    for project in PROVIDED:
        if project in candidates:
            name, version = dists[project]
            decision.left_out[project] = version
            decision.files |= dist_files(vendor, name)
    return decision


def dist_files(vendor: Path, dist_info: str) -> set[str]:
    """Paths (relative to ``vendor``, ``/``-separated) of the files the installed ``dist_info`` put there.

    From its ``RECORD``; without one, its ``top_level.txt`` names (or the project's name) and the
    dist-info directory itself.
    """
    found: set[str] = set()
    record = vendor / dist_info / "RECORD"
    try:
        rows = list(csv.reader(io.StringIO(record.read_text(encoding="utf-8"))))
    except (OSError, UnicodeDecodeError, csv.Error):
        rows = []
    for row in rows:
        if row and row[0] and not row[0].startswith(("/", "..")):
            found.add(row[0].replace("\\", "/"))
    if rows:
        return found
    try:
        tops = (vendor / dist_info / "top_level.txt").read_text(encoding="utf-8").split()
    except OSError:
        tops = [dist_info.split("-", 1)[0].replace("-", "_").lower()]
    for top in tops + [dist_info]:
        path = vendor / top
        if path.is_dir():
            found |= {p.relative_to(vendor).as_posix() for p in path.rglob("*") if p.is_file()}
        elif (vendor / f"{top}.py").is_file():
            found.add(f"{top}.py")
    return found


def describe(decision: Decision, runtime: str) -> list[str]:
    """What ``generate.artifact`` says about the runtime's packages (nothing when none was vendored)."""
    lines = []
    if decision.left_out:
        listed = ", ".join(f"{p} {v}" for p, v in decision.left_out.items())
        lines.append(f"Left out (Lambda {runtime} ships them): {listed}")
    for project, why in decision.kept.items():
        lines.append(f"Kept the vendored {project}: {why}")
    return lines
