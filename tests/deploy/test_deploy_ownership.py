"""deploy and deploy.delete touch only stacks tight deployed for this app and stage (moto's server).

Stack names are ``<app>-<stage>`` and stages may hold '-': app ``own`` stage ``a-b`` and app ``own-a``
stage ``b`` share the name ``own-a-b``; a stack made by hand can have any name too.
"""
from __future__ import annotations

import shutil

import pytest
from conftest import run_tight


def one_line_refusal(result, *words):
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    """Two apps whose stacks collide: ``own`` and ``own-a`` (a copy renamed)."""
    base = tmp_path_factory.mktemp("owners")
    assert run_tight("generate.app", "own", cwd=base).returncode == 0
    first = base / "own"
    assert run_tight("generate.function", "hello", cwd=first).returncode == 0
    (first / "requirements-vendor.txt").write_text("# nothing to vendor\n")
    second = base / "own-a"
    shutil.copytree(first, second)
    settings = second / "tight.yml"
    settings.write_text(settings.read_text().replace("name: own\n", "name: own-a\n"))
    return first, second


def tags_of(aws, stack: str) -> dict:
    found = aws("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return {t["Key"]: t["Value"] for t in found.get("Tags") or []}


def function_code(aws, stack: str) -> str:
    return aws("lambda").get_function(FunctionName=f"{stack}-hello")["Configuration"]["CodeSha256"]


def test_another_apps_stack_of_the_same_name_is_neither_updated_nor_deleted(apps, aws, tight_aws):
    first, second = apps
    result = tight_aws("deploy", "--stage", "a-b", "--yes", cwd=first)
    assert result.returncode == 0, result.stdout + result.stderr
    assert tags_of(aws, "own-a-b") == {"tight:app": "own", "tight:stage": "a-b"}
    code = function_code(aws, "own-a-b")
    (second / "app" / "functions" / "hello" / "handler.py").write_text("# the other app's code\n")
    # Before: own-a's code silently replaced own's in the stack own-a-b, and deploy.delete deleted it.
    one_line_refusal(tight_aws("deploy", "--stage", "b", "--yes", cwd=second), "own-a-b",
                     "app own stage a-b", "pick another --stage")
    one_line_refusal(tight_aws("deploy.delete", "--stage", "b", "--yes", cwd=second), "own-a-b")
    assert function_code(aws, "own-a-b") == code
    assert aws("cloudformation").describe_stacks(StackName="own-a-b")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    again = tight_aws("deploy", "--stage", "a-b", "--yes", cwd=first)  # the owner still deploys: nothing to do
    assert again.returncode == 0 and "nothing to change" in again.stdout, again.stdout + again.stderr
    deleted = tight_aws("deploy.delete", "--stage", "a-b", "--yes", cwd=first)
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr


def test_a_stack_made_by_hand_is_left_alone(apps, aws, tight_aws):
    first, _ = apps
    cloudformation = aws("cloudformation")
    cloudformation.create_stack(StackName="own-handmade", TemplateBody='{"Resources": {"Queue": '
                                '{"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "handmade-q"}}}}')
    one_line_refusal(tight_aws("deploy", "--stage", "handmade", "--yes", cwd=first), "own-handmade",
                     "tight did not deploy it")
    one_line_refusal(tight_aws("deploy.delete", "--stage", "handmade", "--yes", cwd=first), "own-handmade")
    resources = cloudformation.list_stack_resources(StackName="own-handmade")["StackResourceSummaries"]
    assert [r["LogicalResourceId"] for r in resources] == ["Queue"]  # was replaced by the app's resources
    cloudformation.delete_stack(StackName="own-handmade")


def test_an_artifact_refusal_comes_before_any_bucket_is_created(apps, aws, tight_aws, tmp_path):
    app = shutil.copytree(apps[0], tmp_path / "own", ignore=shutil.ignore_patterns("builds"))
    (app / "requirements-vendor.txt").write_text("six==1.16.0\n")  # not vendored: generate.artifact refuses
    buckets = {b["Name"] for b in aws("s3").list_buckets()["Buckets"]}
    result = tight_aws("deploy", "--stage", "novendor", "--yes", "--region", "ap-south-1", cwd=app)
    one_line_refusal(result, "six", "not vendored")
    assert {b["Name"] for b in aws("s3").list_buckets()["Buckets"]} == buckets  # was: tight's bucket created first
    assert not (app / "builds" / "own.zip").exists()


def test_logs_since_before_1970_is_a_usage_error(apps, tight_aws):
    result = tight_aws("deploy.logs", "hello", "--stage", "a-b", "--since", "99999999999d", cwd=apps[0])
    assert result.returncode == 2, result.stdout + result.stderr  # was exit 1 with botocore's parameter error
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "before 1970" in result.stderr and "3650d" in result.stderr
