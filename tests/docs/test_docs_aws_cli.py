"""The AWS CLI examples of Running locally (dynamo.rundb) run as written with the AWS CLI v1, which reads no
AWS_REGION and wants keys; they use only what v2 reads as well (--region, --endpoint-url, the key variables)."""
from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from conftest import REPO, clean_env, free_port, run_tight
from docs_runner import Block, Reader, blocks


def rundb_section() -> str:
    text = (REPO / "docs" / "local.md").read_text(encoding="utf-8")
    start = text.index("## A local DynamoDB for other tools: `dynamo.rundb`")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def test_the_aws_cli_examples_work_with_cli_v1(tmp_path):
    aws = Path(sys.executable).with_name("aws")
    if not aws.exists():
        pytest.skip("the AWS CLI v1 (awscli, a test extra) is not installed")
    home = tmp_path / "home"
    demo = home / "tight-demo"
    demo.mkdir(parents=True)
    (demo / ".venv").symlink_to(sys.prefix)  # the reader's venv: tight and the AWS CLI
    assert run_tight("generate.app", "my_service", cwd=demo).returncode == 0
    for args in (("generate.model", "account"), ("generate.env",)):
        assert run_tight(*args, cwd=demo / "my_service").returncode == 0
    port = free_port()
    env = clean_env(HOME=str(home), PATH=os.pathsep.join(["/usr/local/bin", "/usr/bin", "/bin"]),
                    TIGHT_DYNAMO_PORT=str(port), AWS_EC2_METADATA_DISABLED="true")
    reader = Reader(home, env, {"127.0.0.1:8000": f"127.0.0.1:{port}"})
    section = blocks(rundb_section())
    commands = [line for block in section for line in block.text.replace("\\\n", " ").splitlines()
                if line.startswith("aws ")]
    assert len(commands) >= 3
    for command in commands:  # nothing only one CLI version understands
        assert "--region " in command and "--endpoint-url " in command, command
    assert not re.search(r"\bAWS_REGION=", rundb_section().split("```sh", 1)[1]), "v1 ignores AWS_REGION"
    try:
        outputs = [reader.run(block) for block in section]
        # the command rundb's banner suggests runs as printed, with no AWS settings but its own
        (suggested,) = [line.split(": ", 1)[1] for line in outputs[0].splitlines() if line.startswith("AWS CLI (v1")]
        listed = reader.run(Block("sh", f"# terminal 3\ncd ~/tight-demo/my_service && . ../.venv/bin/activate\n"
                                        f"{suggested}\n"))
        assert '"my-service-dev-accounts"' in listed
    finally:
        stopped = reader.stop()
        shutil.rmtree(demo / "my_service", ignore_errors=True)
    assert '"my-service-dev-accounts"' in outputs[1]
    ((command, code, output),) = stopped
    assert command.startswith("tight dynamo.rundb") and code == 0, output
