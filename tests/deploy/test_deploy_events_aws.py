"""`tight deploy` of an app with an sqs, a schedule, an s3 and a dynamodb_stream function, on moto's server."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import clean_env, listed, run_tight
from deploy_support import role_policy

STACK = "events-test"


@pytest.fixture(scope="module")
def events_app(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("eventsdeploy")
    assert run_tight("generate.app", "events", cwd=base).returncode == 0
    root = base / "events"
    for command in (["generate.model", "account"], ["generate.function", "orders", "--type", "sqs"],
                    ["generate.function", "nightly", "--type", "schedule"],
                    ["generate.function", "thumbs", "--type", "s3"],
                    ["generate.function", "audit", "--type", "dynamodb_stream"]):
        result = run_tight(*command, cwd=root)
        assert result.returncode == 0, result.stdout + result.stderr
    (root / "requirements-vendor.txt").write_text("# nothing to vendor: generate.artifact would refuse it\n")
    return root


@pytest.fixture(scope="module")
def deployed_events(events_app, tight_aws):
    result = tight_aws("deploy", "--stage", "test", "--yes", cwd=events_app)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def function_arn(aws, name: str) -> str:
    return aws("lambda").get_function(FunctionName=f"{STACK}-{name}")["Configuration"]["FunctionArn"]


def test_every_event_resource_exists_after_deploy(deployed_events, events_app, aws):
    template = yaml.safe_load(run_tight("deploy.template", "--stage", "test", "--output", "-", cwd=events_app,
                                        env=clean_env()).stdout)
    created = {r["LogicalResourceId"]: r for r in
               listed(aws("cloudformation"), "list_stack_resources", "StackResourceSummaries", StackName=STACK)}
    wanted = {k: v["Type"] for k, v in template["Resources"].items()
              if v["Type"] in ("AWS::SQS::Queue", "AWS::Lambda::EventSourceMapping", "AWS::Events::Rule",
                               "AWS::S3::Bucket", "AWS::Lambda::Permission")}
    assert set(wanted) == {"QueueOrders", "DeadLettersOrders", "EventsOrders", "ScheduleNightly",
                           "RuleInvokeNightly", "BucketThumbsUploads", "S3InvokeThumbs", "EventsAudit",
                           "DeadLettersAudit", "DeadLettersNightly", "DeadLettersThumbs"}
    for logical, kind in wanted.items():
        assert created[logical]["ResourceType"] == kind
        assert created[logical]["ResourceStatus"] == "CREATE_COMPLETE"


def test_queue_with_dead_letters_feeds_the_function(deployed_events, aws):
    sqs = aws("sqs")
    url = sqs.get_queue_url(QueueName=f"{STACK}-orders")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(f":{STACK}-orders-dlq") and int(redrive["maxReceiveCount"]) == 5
    mappings = aws("lambda").list_event_source_mappings(FunctionName=f"{STACK}-orders")["EventSourceMappings"]
    assert [(m["EventSourceArn"], m["FunctionResponseTypes"], m["BatchSize"]) for m in mappings] == \
        [(attributes["QueueArn"], ["ReportBatchItemFailures"], 10)]
    assert mappings[0]["FunctionArn"] == function_arn(aws, "orders")


def test_schedule_rule_targets_the_function(deployed_events, aws):
    events = aws("events")
    rule = events.describe_rule(Name=f"{STACK}-nightly")
    assert rule["ScheduleExpression"] == "rate(5 minutes)" and rule["State"] == "ENABLED"
    targets = events.list_targets_by_rule(Rule=f"{STACK}-nightly")["Targets"]
    assert [t["Arn"] for t in targets] == [function_arn(aws, "nightly")]
    policy = json.loads(aws("lambda").get_policy(FunctionName=f"{STACK}-nightly")["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == rule["Arn"]


def test_bucket_exists_and_may_invoke_the_function(deployed_events, aws):
    # moto's CloudFormation creates the bucket but does not apply NotificationConfiguration:
    # the notifications themselves are checked in the template tests.
    bucket = f"{STACK}-thumbs-uploads"
    aws("s3").head_bucket(Bucket=bucket)
    policy = json.loads(aws("lambda").get_policy(FunctionName=f"{STACK}-thumbs")["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == f"arn:aws:s3:::{bucket}"


def test_stream_on_the_models_table_feeds_the_function(deployed_events, aws):
    table = aws("dynamodb").describe_table(TableName=f"{STACK}-accounts")["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    mappings = aws("lambda").list_event_source_mappings(FunctionName=f"{STACK}-audit")["EventSourceMappings"]
    assert [(m["EventSourceArn"], m["FunctionResponseTypes"]) for m in mappings] == \
        [(table["LatestStreamArn"], ["ReportBatchItemFailures"])]
    assert mappings[0]["FunctionArn"] == function_arn(aws, "audit")


def test_every_function_that_could_lose_an_event_has_a_dead_letter_queue(deployed_events, aws):
    sqs = aws("sqs")
    for function in ("audit", "nightly", "thumbs", "orders"):
        url = sqs.get_queue_url(QueueName=f"{STACK}-{function}-dlq")["QueueUrl"]
        retention = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["MessageRetentionPeriod"])["Attributes"]
        assert retention == {"MessageRetentionPeriod": "1209600"}  # 14 days
        if function != "orders":  # the sqs function's dead letters come from SQS itself, not its role
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            assert role_policy(aws, f"{STACK}-{function}")[("sqs:SendMessage",)] == [arn]


def test_each_role_may_use_only_its_own_source(deployed_events, aws):
    account = f"{aws('sts').get_caller_identity()['Account']}"
    region = aws("sqs").meta.region_name
    logs = ("logs:CreateLogStream", "logs:PutLogEvents")
    sources = {}
    for function in ("orders", "audit", "thumbs", "nightly"):
        policy = role_policy(aws, f"{STACK}-{function}")
        assert policy.pop(logs) == [f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{STACK}-{function}:*"]
        sources[function] = [arn for arns in policy.values() for arn in arns]
    dead = f"arn:aws:sqs:{region}:{account}:{STACK}-%s-dlq"  # where its failed events go: send only
    assert sources == {
        "orders": [f"arn:aws:sqs:{region}:{account}:{STACK}-orders"],  # never its dead letters
        "audit": [f"arn:aws:dynamodb:{region}:{account}:table/{STACK}-accounts/stream/*", dead % "audit"],
        "thumbs": [f"arn:aws:s3:::{STACK}-thumbs-uploads/uploads/*", dead % "thumbs"],
        "nightly": [dead % "nightly"],
    }


def test_delete_keeps_the_bucket_and_says_so(deployed_events, events_app, aws, tight_aws):
    deployed = tight_aws("deploy", "--stage", "gone", "--yes", cwd=events_app)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    aws("s3").put_object(Bucket="events-gone-thumbs-uploads", Key="uploads/a.jpg", Body=b"x")
    result = tight_aws("deploy.delete", "--stage", "gone", "--yes", cwd=events_app)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Kept 1 bucket with its objects (DeletionPolicy: Retain): events-gone-thumbs-uploads" in result.stdout
    assert "aws s3 rb --region eu-west-1 --force s3://events-gone-thumbs-uploads" in result.stdout
    assert aws("s3").get_object(Bucket="events-gone-thumbs-uploads", Key="uploads/a.jpg")["Body"].read() == b"x"
    assert aws("sqs").list_queues(QueueNamePrefix="events-gone").get("QueueUrls", []) == []
    # deploying the stage again: the kept table and bucket are in the way, both named at once, and the deploy
    # stops before anything is built, uploaded or planned (CloudFormation would fail on BucketAlreadyExists)
    both = tight_aws("deploy", "--stage", "gone", "--yes", cwd=events_app)
    assert (both.returncode, both.stdout) == (1, "")
    assert both.stderr == (
        "Table events-gone-accounts and S3 bucket events-gone-thumbs-uploads already exist but are not part of "
        "stack events-gone (deploy.delete keeps them), so CloudFormation cannot create them: delete those whose "
        "data can go (aws dynamodb delete-table --region eu-west-1 --table-name events-gone-accounts; aws s3 rb "
        "--region eu-west-1 --force s3://events-gone-thumbs-uploads), or rename them (the model's table name, "
        "functions.thumbs.bucket).\n")
    aws("dynamodb").delete_table(TableName="events-gone-accounts")
    again = tight_aws("deploy", "--stage", "gone", "--yes", cwd=events_app)
    assert (again.returncode, again.stdout) == (1, "")
    assert again.stderr == (
        "S3 bucket events-gone-thumbs-uploads already exists but is not part of stack events-gone (deploy.delete "
        "keeps the buckets of s3 functions), so CloudFormation cannot create it: delete it if its objects can go "
        "(aws s3 rb --region eu-west-1 --force s3://events-gone-thumbs-uploads), or change "
        "functions.thumbs.bucket in tight.yml.\n")
    assert "events-gone" not in {s["StackName"] for s in listed(aws("cloudformation"), "list_stacks", "StackSummaries")
                                 if s["StackStatus"] != "DELETE_COMPLETE"}
