"""Where this tight-cli was installed from, as a generated app's ``requirements.txt`` says it.

tight-cli 1.x is on no package index (PyPI's tight-cli is the 2017 one), so a
bare ``tight-cli>=1.0.0`` cannot be installed by a teammate or a CI job.
pip records where a distribution came from in its ``direct_url.json``
(PEP 610): a VCS URL or a remote archive can be written as the requirement
itself (``tight-cli @ git+https://...@<commit>``); a local directory or wheel
cannot be reached from another machine, so the file says where it was and
how to install tight there instead.
"""
from __future__ import annotations

import json
from typing import Any

DIST = "tight-cli"
#: Where the docs say how to install tight for a team or CI (docs/getting-started.md).
DOCS = "tight's docs, Getting started > Installing tight for a team and CI"


def direct_url() -> dict[str, Any] | None:
    """This tight-cli's PEP 610 record (None: installed from an index, or not installed)."""
    from importlib import metadata

    # A checkout's own tight_cli.egg-info (a build leftover, no record) may come first on sys.path.
    for dist in metadata.distributions(name=DIST):
        try:
            data = json.loads(dist.read_text("direct_url.json") or "null")
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("url"), str):
            return data
    return None


def requirement_lines(version: str, record: dict[str, Any] | None = None) -> list[str]:
    """The lines of ``requirements.txt`` that install this tight (comments included)."""
    url = record.get("url", "") if record else ""
    vcs = record.get("vcs_info") if record else None
    remote = url.startswith(("https://", "http://", "ssh://", "git+"))
    if isinstance(vcs, dict) and vcs.get("vcs") and remote:
        commit = vcs.get("commit_id") or vcs.get("requested_revision")
        pinned = f"{vcs['vcs']}+{url}" + (f"@{commit}" if commit else "")
        return ["# tight, from the repository it was installed from (pinned to that commit):",
                f"{DIST} @ {pinned}"]
    if record and "archive_info" in record and remote:
        return ["# tight, from the archive it was installed from:", f"{DIST} @ {url}"]
    where = f"from {url}" if url else "from a package index"
    if record and (record.get("dir_info") or {}).get("editable"):
        where += " (editable)"
    return [
        f"# tight-cli {version} was installed {where}. tight-cli 1.x is on no public index: install",
        "# it on another machine (a teammate's, CI) first, then this file; e.g. from your copy of tight's",
        "# repository (pip install git+https://<host>/<you>/tight.git), or from a wheel built with",
        "# `pip wheel --no-deps -w wheels <tight checkout>` and `pip install --find-links wheels -r requirements.txt`.",
        f"# See {DOCS}.",
        f"{DIST}>={version}",
    ]
