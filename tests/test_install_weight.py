"""A user install of tight-cli stays light: the embedded DynamoDB engine needs moto's DynamoDB, not moto[server]."""
from __future__ import annotations

import re
import subprocess
import zipfile

from conftest import clean_env

#: What moto[server] pulls in and a user install must not (cfn-lint brings sympy and networkx).
HEAVY = ("cfn-lint", "sympy", "networkx", "aws-xray-sdk", "graphql-core")


def _requires(wheel) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        metadata = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        text = zf.read(metadata).decode()
    return [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Requires-Dist:")]


def test_user_install_metadata_has_no_heavy_packages(tight_wheel):
    requires = _requires(tight_wheel)
    user = [r for r in requires if "extra ==" not in r]
    names = {re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0].lower() for r in user}
    assert not names & set(HEAVY), user
    moto = next(r for r in user if r.lower().startswith("moto"))
    assert moto.startswith("moto[dynamodb,s3,sqs]") and "server" not in moto and "all" not in moto, moto
    assert {"flask", "flask-cors", "werkzeug"} <= names, user
    # The test extras may be heavy: deploy's tests need moto's other backends.
    assert any("cfn-lint" in r and 'extra == "test"' in r for r in requires)


PROBE = """
import importlib.metadata as md
from tight.dev.local_dynamodb import call, embedded_dynamodb, list_tables

installed = sorted(d.metadata["Name"].lower() for d in md.distributions())
print(sorted(set(installed) & set(HEAVY)))
with embedded_dynamodb() as endpoint:
    call(endpoint, "CreateTable", {"TableName": "t", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
         "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"})
    print(list_tables(endpoint))
"""


def test_lean_install_runs_the_embedded_engine(wheel_venv, tmp_path):
    """A fresh non-editable install: none of the heavy packages, and the embedded engine serves DynamoDB."""
    bin_dir = wheel_venv()
    probe = subprocess.run([str(bin_dir / "python"), "-c", f"HEAVY = {HEAVY!r}\n{PROBE}"], cwd=tmp_path,
                           capture_output=True, text=True, env=clean_env(AWS_EC2_METADATA_DISABLED="true"),
                           timeout=300, check=False)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.splitlines()[:2] == ["[]", "['t']"], probe.stdout
