"""Table changes CloudFormation cannot make in place are refused before the change set; the stack is untouched."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import listed, run_tight

from tight_tasks.deploy.keys import refusal, table_change

STACK = "keys-test"
MODEL = '''import os

from flywheel import Field, GlobalIndex, Model


class Order(Model):
    __metadata__ = {
        '_name': f"{os.environ['NAME']}-{os.environ['STAGE']}-orders",
        'global_indexes': [GlobalIndex.all('by-user', 'user')],
    }
    id = Field(type=str, hash_key=True)
    user = Field(type=str)
    status = Field(type=str)
    total = Field(type=int)
'''


@pytest.fixture(scope="module")
def keys_app(tmp_path_factory, tight_aws) -> Path:
    base = tmp_path_factory.mktemp("keys")
    assert run_tight("generate.app", "keys", cwd=base).returncode == 0
    root = base / "keys"
    assert run_tight("generate.function", "hello", cwd=root).returncode == 0
    (root / "requirements-vendor.txt").write_text("# nothing to vendor\n")
    (root / "app" / "models" / "Order.py").write_text(MODEL)
    result = tight_aws("deploy", "--stage", "test", "--yes", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    return root


@pytest.fixture
def changed(keys_app, tmp_path):
    copy = Path(shutil.copytree(keys_app, tmp_path / "keys", ignore=shutil.ignore_patterns("builds")))

    def change(old: str, new: str) -> Path:
        model = copy / "app" / "models" / "Order.py"
        assert old in model.read_text()
        model.write_text(model.read_text().replace(old, new))
        return copy

    return change


@pytest.mark.parametrize("old, new, words", [
    ("id = Field(type=str, hash_key=True)", "id = Field(type=int, hash_key=True)",
     "its hash key id (S) would become id (N)"),
    ("total = Field(type=int)", "total = Field(type=int, range_key=True)",
     "its range key none would become total (N)"),
    ("GlobalIndex.all('by-user', 'user')]",
     "GlobalIndex.all('by-user', 'user'), GlobalIndex.all('by-status', 'status'), GlobalIndex.all('by-total', 'total')]",
     "the deploy adds by-status, by-total (global indexes)"),
])
def test_a_key_change_is_refused_in_one_line_and_the_stack_is_untouched(changed, aws, tight_aws, old, new, words):
    cloudformation = aws("cloudformation")

    def change_sets() -> list:
        return [c for c in listed(cloudformation, "list_change_sets", "Summaries", StackName=STACK) if c["StackName"] == STACK]

    before, made = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0], change_sets()
    result = tight_aws("deploy", "--stage", "test", "--yes", cwd=changed(old, new))
    assert (result.returncode, result.stdout) == (1, ""), result.stdout + result.stderr
    assert ", and DynamoDB " in result.stderr, result.stderr
    assert result.stderr == (f"Table {STACK}-orders cannot change in place: {words}, and DynamoDB "
                             + result.stderr.split(", and DynamoDB ", 1)[1])
    assert len(result.stderr.splitlines()) == 1 and "docs/deploy.md#changing-a-tables-keys" in result.stderr
    after = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
    assert (after["StackStatus"], after.get("LastUpdatedTime")) == (before["StackStatus"], before.get("LastUpdatedTime"))
    assert change_sets() == made  # no change set was made
    keys = aws("dynamodb").describe_table(TableName=f"{STACK}-orders")["Table"]["KeySchema"]
    assert keys == [{"AttributeName": "id", "KeyType": "HASH"}]


def test_one_global_index_at_a_time_deploys(keys_app, changed, tight_aws):
    """On a stage of its own: the other tests compare against the module's stack as first deployed. (moto has no
    update for an AWS::DynamoDB::Table: the updated table drops out of the stack's resources, so a third deploy
    of this stage would be refused as a table outside the stack. AWS keeps it in the stack.)"""
    first = tight_aws("deploy", "--stage", "gsi", "--yes", cwd=keys_app)
    assert first.returncode == 0, first.stdout + first.stderr
    app = changed("GlobalIndex.all('by-user', 'user')]",
                  "GlobalIndex.all('by-user', 'user'), GlobalIndex.all('by-status', 'status')]")
    result = tight_aws("deploy", "--stage", "gsi", "--yes", cwd=app)
    assert result.returncode == 0, result.stdout + result.stderr


def table(keys: dict, gsis: dict | None = None, lsis: dict | None = None) -> dict:
    attributes = {name: kind for name, kind in keys.values()}
    return {"TableName": "t", "KeySchema": [{"AttributeName": n, "KeyType": role} for role, (n, _) in keys.items()],
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": k} for n, k in attributes.items()],
            "GlobalSecondaryIndexes": [{"IndexName": i, "KeySchema": [{"AttributeName": a, "KeyType": "HASH"}],
                                        "Projection": {"ProjectionType": "ALL"}} for i, a in (gsis or {}).items()],
            "LocalSecondaryIndexes": [{"IndexName": i, "KeySchema": [{"AttributeName": a, "KeyType": "RANGE"}],
                                       "Projection": {"ProjectionType": "ALL"}} for i, a in (lsis or {}).items()]}


def test_what_can_change_in_place_and_what_cannot():
    base = table({"HASH": ("id", "S")}, {"a": "x"})
    assert table_change("t", base, base) is None
    assert table_change("t", base, table({"HASH": ("id", "S")}, {"a": "x", "b": "y"})) is None  # one GSI
    assert table_change("t", base, table({"HASH": ("id", "S")})) is None  # one removed
    assert "hash key id (S) would become key (S)" in table_change("t", base, table({"HASH": ("key", "S")}, {"a": "x"}))
    assert "changes the keys of a" in table_change("t", base, table({"HASH": ("id", "S")}, {"a": "z"}))
    assert "local secondary indexes" in table_change("t", base, table({"HASH": ("id", "S")}, {"a": "x"}, {"l": "r"}))
    deployed = {"Resources": {"T": {"Type": "AWS::DynamoDB::Table", "Properties": base}}}
    assert refusal(deployed, {"Resources": {"X": {"Type": "AWS::DynamoDB::Table",
                                                  "Properties": {**base, "TableName": "new"}}}}) is None
