"""The command reference names every task `tight --list` shows, each with an example that runs it."""
from __future__ import annotations

import json
import re

from conftest import REPO, run_tight


def tasks(listing: dict, prefix: str = "") -> list[str]:
    names = [prefix + task["name"] for task in listing.get("tasks", [])]
    for collection in listing.get("collections", []):
        names += tasks(collection, f"{prefix}{collection['name']}.")
    return names


def test_every_command_is_in_the_reference_with_an_example(tmp_path):
    listed = run_tight("--list", "--list-format", "json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    names = {name.removesuffix(".deploy") for name in tasks(json.loads(listed.stdout))}
    assert {"generate.app", "local.serve", "deploy", "deploy.status"} <= names
    page = (REPO / "docs" / "commands.md").read_text(encoding="utf-8")
    headings = {h for line in re.findall(r"^## (.+)$", page, re.MULTILINE) for h in re.split(r"[ ,/]+", line)}
    examples = "\n".join(re.findall(r"```(?:sh|console)\n(.*?)```", page, re.DOTALL))
    for name in sorted(names):
        assert name in headings, f"{name} has no section in docs/commands.md"
        assert re.search(rf"\btight {re.escape(name)}\b", examples), f"{name} has no example in docs/commands.md"
