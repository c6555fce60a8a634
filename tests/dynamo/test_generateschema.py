"""tight dynamo.generateschema: CloudFormation table files from models."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import clean_env
from dynamo_apps import ACCOUNT, EVENT, SESSION, make_app

ACCOUNTS_YML = """\
Properties:
  AttributeDefinitions:
  - {AttributeName: id, AttributeType: S}
  KeySchema:
  - {AttributeName: id, KeyType: HASH}
  ProvisionedThroughput: {ReadCapacityUnits: 1, WriteCapacityUnits: 1}
  TableName: my-service-dev-accounts
Type: AWS::DynamoDB::Table
"""


def test_account_schema_is_exactly_the_reference(tight, tmp_path):
    app = make_app(tmp_path / "svc")
    result = tight("dynamo.generateschema", cwd=app)
    assert result.returncode == 0, result.stderr
    assert (app / "schemas" / "dynamo" / "accounts.yml").read_text() == ACCOUNTS_YML
    assert sorted(p.name for p in (app / "schemas" / "dynamo").iterdir()) == ["accounts.yml"]
    assert "wrote schemas/dynamo/accounts.yml" in result.stdout


def test_runs_from_a_subdirectory_without_env_yml_or_credentials(tight, tmp_path):
    app = make_app(tmp_path / "svc", env=None)  # STAGE comes from env.dist.yml
    result = tight("dynamo.generateschema", cwd=app / "app" / "models")
    assert result.returncode == 0, result.stderr
    assert (app / "schemas" / "dynamo" / "accounts.yml").read_text() == ACCOUNTS_YML


def test_generated_app_my_cool_service(tight, tmp_path):
    """generate.app dasherizes the name; the file is accounts.yml, not dev-accounts.yml."""
    assert tight("generate.app", "my_cool_service", cwd=tmp_path).returncode == 0
    app = tmp_path / "my_cool_service"
    for task in (("generate.model", "account"), ("generate.env",), ("dynamo.generateschema",)):
        result = tight(*task, cwd=app)
        assert result.returncode == 0, (task, result.stderr)
    files = sorted(p.name for p in (app / "schemas" / "dynamo").iterdir() if not p.name.startswith("."))
    assert files == ["accounts.yml"]
    text = (app / "schemas" / "dynamo" / "accounts.yml").read_text()
    assert text == ACCOUNTS_YML.replace("my-service-dev-accounts", "my-cool-service-dev-accounts")


def test_underscored_name_strips_its_own_prefix(tight, tmp_path):
    app = make_app(tmp_path / "svc", name="my_cool_service")
    assert tight("dynamo.generateschema", cwd=app).returncode == 0
    doc = yaml.safe_load((app / "schemas" / "dynamo" / "accounts.yml").read_text())
    assert doc["Properties"]["TableName"] == "my_cool_service-dev-accounts"


def test_check_reports_a_diff_and_writes_nothing(tight, tmp_path):
    app = make_app(tmp_path / "svc")
    target = app / "schemas" / "dynamo" / "accounts.yml"
    missing = tight("dynamo.generateschema", "--check", cwd=app)
    assert missing.returncode == 1
    assert "+++ b/schemas/dynamo/accounts.yml" in missing.stdout
    assert not target.exists()

    assert tight("dynamo.generateschema", cwd=app).returncode == 0
    ok = tight("dynamo.generateschema", "--check", cwd=app)
    assert ok.returncode == 0, ok.stderr
    assert "up to date" in ok.stdout

    model = app / "app" / "models" / "Account.py"
    model.write_text(model.read_text().replace("'read': 1", "'read': 4"))
    stale = tight("dynamo.generateschema", "--check", cwd=app)
    assert stale.returncode == 1
    assert "-  ProvisionedThroughput: {ReadCapacityUnits: 1, WriteCapacityUnits: 1}" in stale.stdout
    assert "+  ProvisionedThroughput: {ReadCapacityUnits: 4, WriteCapacityUnits: 1}" in stale.stdout
    assert "out of date" in stale.stderr and "tight dynamo.generateschema" in stale.stderr
    assert len(stale.stderr.strip().splitlines()) == 1
    assert target.read_text() == ACCOUNTS_YML, "--check must not write"


def test_stale_files_reported_and_pruned(tight, tmp_path):
    app = make_app(tmp_path / "svc", {"Account": ACCOUNT, "Session": SESSION})
    assert tight("dynamo.generateschema", cwd=app).returncode == 0
    (app / "app" / "models" / "Session.py").unlink()
    folder = app / "schemas" / "dynamo"
    kept = tight("dynamo.generateschema", cwd=app)
    assert kept.returncode == 0
    assert "stale: schemas/dynamo/sessions.yml" in kept.stdout and "--prune" in kept.stdout
    assert (folder / "sessions.yml").exists()
    check = tight("dynamo.generateschema", "--check", cwd=app)
    assert check.returncode == 1 and "--- a/schemas/dynamo/sessions.yml" in check.stdout
    pruned = tight("dynamo.generateschema", "--prune", cwd=app)
    assert pruned.returncode == 0
    assert "removed schemas/dynamo/sessions.yml" in pruned.stdout
    assert sorted(p.name for p in folder.iterdir()) == ["accounts.yml"]


def test_json_format_matches_yaml(tight, tmp_path):
    app = make_app(tmp_path / "svc", {"Account": ACCOUNT, "Event": EVENT})
    assert tight("dynamo.generateschema", cwd=app).returncode == 0
    assert tight("dynamo.generateschema", "--format", "json", cwd=app).returncode == 0
    folder = app / "schemas" / "dynamo"
    for stem in ("accounts", "events"):
        as_json = json.loads((folder / f"{stem}.json").read_text())
        assert as_json == yaml.safe_load((folder / f"{stem}.yml").read_text())
    assert json.loads((folder / "accounts.json").read_text())["Properties"]["ProvisionedThroughput"] == {
        "ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    bad = tight("dynamo.generateschema", "--format", "toml", cwd=app)
    assert bad.returncode == 2 and "yaml or json" in bad.stderr


def test_every_feature_passes_cfn_lint(tight, tmp_path):
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent))
    if cfn_lint is None:
        pytest.skip("cfn-lint is not installed (pip install tight-cli[test])")
    app = make_app(tmp_path / "svc", {"Account": ACCOUNT, "Event": EVENT, "Session": SESSION})
    result = tight("dynamo.generateschema", cwd=app)
    assert result.returncode == 0, result.stderr
    folder = app / "schemas" / "dynamo"
    events = yaml.safe_load((folder / "events.yml").read_text())["Properties"]
    assert {"LocalSecondaryIndexes", "GlobalSecondaryIndexes", "TimeToLiveSpecification",
            "StreamSpecification", "ProvisionedThroughput"} <= set(events)
    sessions = yaml.safe_load((folder / "sessions.yml").read_text())["Properties"]
    assert sessions["BillingMode"] == "PAY_PER_REQUEST" and "ProvisionedThroughput" not in sessions
    templates = []
    for path in sorted(folder.glob("*.yml")):
        body = "\n".join("    " + line if line else line for line in path.read_text().splitlines())
        template = tmp_path / f"template-{path.stem}.yml"
        template.write_text(f"AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Table:\n{body}\n")
        templates.append(str(template))
    lint = subprocess.run([cfn_lint, "--regions", "us-east-1", "--", *templates], check=False, capture_output=True,
                          text=True,
                          env=clean_env())
    assert lint.returncode == 0, lint.stdout + lint.stderr
    # The linter does catch a broken table: an attribute definition no key uses (E3039-style).
    broken = yaml.safe_load((folder / "accounts.yml").read_text())
    broken["Properties"]["AttributeDefinitions"].append({"AttributeName": "unused", "AttributeType": "S"})
    bad = tmp_path / "template-broken.yml"
    bad.write_text(yaml.safe_dump({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Table": broken}}))
    assert subprocess.run([cfn_lint, "--", str(bad)], check=False, capture_output=True,
                          env=clean_env()).returncode != 0


def test_broken_model_is_one_line_and_writes_nothing(tight, tmp_path):
    app = make_app(tmp_path / "svc", {"Account": ACCOUNT, "Broken": "import os\nX = os.environ['NOPE_TIGHT']\n"})
    result = tight("dynamo.generateschema", cwd=app)
    assert result.returncode == 1
    assert "Broken.py" in result.stderr and "KeyError: 'NOPE_TIGHT'" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (app / "schemas" / "dynamo").exists() or not any((app / "schemas" / "dynamo").iterdir())


def test_no_models_says_so(tight, tmp_path):
    app = make_app(tmp_path / "svc", {})
    result = tight("dynamo.generateschema", cwd=app)
    assert result.returncode == 0
    assert "No models found" in result.stdout


def test_file_stem():
    from tight_tasks.dynamo.schema import file_stem

    assert file_stem("my-service-dev-accounts", "my-service-dev-") == "accounts"
    assert file_stem("my-cool-service-dev-user-profiles", "my-cool-service-dev-") == "user-profiles"
    assert file_stem("other-table", "my-service-dev-") == "other-table"
    assert file_stem("my-service-dev-", "my-service-dev-") == "my-service-dev-"
