"""The docs' examples run: every ``sh`` block of Getting started, then of Deploying, in order, as a reader
runs them (see docs_runner), in a fresh venv holding a non-editable install of tight, with moto's
server standing in for AWS."""
from __future__ import annotations

import os
import shutil
import sys

from conftest import REPO, clean_env, free_port
from docs_runner import Reader, blocks

PAGES = ("getting-started.md", "deploy.md")


def test_getting_started_then_deploy_run_as_written(wheel_venv, tmp_path):
    venv_bin = wheel_venv()
    home = tmp_path / "home"
    home.mkdir()
    serve_port, moto_port = free_port(), free_port()
    path = os.pathsep.join(["/usr/local/bin", "/usr/bin", "/bin"])
    env = clean_env(HOME=str(home), PATH=path, TIGHT_LOCAL_PORT=str(serve_port), AWS_EC2_METADATA_DISABLED="true")
    env.pop("VIRTUAL_ENV", None)
    reader = Reader(home, env, {"venv": str(venv_bin.parent), "tools": sys.prefix, "127.0.0.1:3000": f"127.0.0.1:{serve_port}",
                                "localhost:5000": f"localhost:{moto_port}", "-p 5000": f"-p {moto_port}"})
    ran = []
    try:
        for page in PAGES:
            for block in blocks((REPO / "docs" / page).read_text(encoding="utf-8")):
                ran.append(reader.run(block))
    finally:
        stopped = reader.stop()
        for command, code, output in stopped:  # shown when the test fails
            print(f"--- {command} (exit {code}):\n{output}")
        shutil.rmtree(home / "tight-demo" / "my_service" / "app" / "vendored", ignore_errors=True)
    assert len(ran) >= 10
    for command, code, output in stopped:
        if command.startswith("tight local.serve"):  # Ctrl-C is the normal way to stop it
            assert code == 0, output
            assert "GET /my_controller 200" in output and "403 for GET /nowhere: no route matches" in output


def test_the_readmes_commands_are_the_docs_commands():
    """The README's numbered steps are the docs' (which CI runs): each of its commands is in a page's examples."""
    import re

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 300
    pages = "\n".join((REPO / "docs" / page).read_text(encoding="utf-8")
                      for page in (*PAGES, "local.md", "contributing.md"))
    examples = {line.strip().removeprefix("$ ").split("  #")[0].strip()
                for _lang, body in re.findall(r"```(sh|console)\n(.*?)```", pages, re.DOTALL)
                for line in body.splitlines()}
    steps = readme[readme.index("## Getting started"):]
    commands = [line.strip().split("  #")[0].strip() for body in re.findall(r"```sh\n(.*?)```", steps, re.DOTALL)
                for line in body.splitlines() if line.strip()]
    assert len(commands) >= 14
    missing = [c for c in commands if c not in examples and not c.startswith("curl https://")]
    assert missing == []
