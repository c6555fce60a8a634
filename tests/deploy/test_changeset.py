"""Change sets as CloudFormation really answers (botocore's Stubber: AWS's own shapes), where moto cannot:
resource events, rollbacks, the two spellings of "nothing to change", stacks that cannot be updated."""
from __future__ import annotations

import datetime

import boto3
import pytest
from botocore.stub import ANY, Stubber

from tight_tasks.deploy import changeset
from tight_tasks.deploy.cloud import Cloud, CloudError

STACK_ID = "arn:aws:cloudformation:eu-west-1:123456789012:stack/shop-dev/0f0e6a10-aaaa-bbbb-cccc-0123456789ab"
CHANGE_SET = "arn:aws:cloudformation:eu-west-1:123456789012:changeSet/tight-1/11111111-2222-3333-4444-555555555555"
NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)


def stack(status: str, key: str = "tight/shop/old.zip") -> dict:
    return {"Stacks": [{"StackName": "shop-dev", "StackId": STACK_ID, "StackStatus": status, "CreationTime": NOW,
                        "Parameters": [{"ParameterKey": "CodeBucket", "ParameterValue": "b"},
                                       {"ParameterKey": "CodeKey", "ParameterValue": key}]}]}


def event(n: int, logical: str, kind: str, status: str, reason: str | None = None) -> dict:
    item = {"StackId": STACK_ID, "EventId": f"e{n}", "StackName": "shop-dev", "LogicalResourceId": logical,
            "ResourceType": kind, "ResourceStatus": status, "Timestamp": NOW}
    if reason:
        item["ResourceStatusReason"] = reason
    return item


@pytest.fixture
def cfn():
    """A Cloud whose CloudFormation client answers from a script; the stubber to write it."""
    session = boto3.session.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="eu-west-1")
    client = session.client("cloudformation")
    cloud = Cloud(session, sleep=lambda seconds: None, clock=lambda: 1795000000.0)
    cloud._clients["cloudformation", False] = cloud._clients["cloudformation", True] = client
    with Stubber(client) as stubber:
        yield cloud, stubber
        stubber.assert_no_pending_responses()


PARAMS = {"CodeBucket": "b", "CodeKey": "tight/shop/new.zip"}


def test_a_failed_update_prints_progress_then_the_failing_events(cfn):
    cloud, stub = cfn
    stub.add_response("describe_stacks", stack("UPDATE_COMPLETE"), {"StackName": "shop-dev"})
    stub.add_response("create_change_set", {"Id": CHANGE_SET, "StackId": STACK_ID}, {
        "StackName": "shop-dev", "ChangeSetType": "UPDATE", "ChangeSetName": "tight-1795000000000",
        "Capabilities": ["CAPABILITY_IAM"], "TemplateBody": "{}",
        "Parameters": [{"ParameterKey": "CodeBucket", "ParameterValue": "b"},
                       {"ParameterKey": "CodeKey", "ParameterValue": "tight/shop/new.zip"}]})
    stub.add_response("describe_change_set", {
        "ChangeSetId": CHANGE_SET, "StackId": STACK_ID, "Status": "CREATE_COMPLETE", "ExecutionStatus": "AVAILABLE",
        "Changes": [{"Type": "Resource", "ResourceChange": {
            "Action": "Modify", "LogicalResourceId": "FunctionHello", "ResourceType": "AWS::Lambda::Function",
            "Replacement": "False"}}]}, {"ChangeSetName": CHANGE_SET})
    plan = changeset.plan(cloud, "shop-dev", PARAMS, template_body="{}")
    assert changeset.describe(plan) == ["Changes to update stack shop-dev:",
                                        "  ~ FunctionHello (AWS::Lambda::Function)", "  ~ parameters: CodeKey"]
    old = event(0, "shop-dev", "AWS::CloudFormation::Stack", "UPDATE_COMPLETE")
    started = event(1, "shop-dev", "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS", "User Initiated")
    failed = event(2, "FunctionHello", "AWS::Lambda::Function", "UPDATE_FAILED",
                   "Resource handler returned message: \"'MemorySize' value failed to satisfy constraint: "
                   "Member must have value less than or equal to 10240\" (RequestToken: 1, HandlerErrorCode: "
                   "InvalidRequest)")
    rolling = event(3, "shop-dev", "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_IN_PROGRESS",
                    "The following resource(s) failed to update: [FunctionHello].")
    rolled = event(4, "shop-dev", "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_COMPLETE")
    stub.add_response("describe_stack_events", {"StackEvents": [old]}, {"StackName": STACK_ID})
    stub.add_response("execute_change_set", {}, {"ChangeSetName": CHANGE_SET})
    stub.add_response("describe_stacks", stack("UPDATE_ROLLBACK_IN_PROGRESS"), {"StackName": STACK_ID})
    stub.add_response("describe_stack_events", {"StackEvents": [rolling, failed, started, old]},
                      {"StackName": STACK_ID})
    stub.add_response("describe_stacks", stack("UPDATE_ROLLBACK_COMPLETE"), {"StackName": STACK_ID})
    stub.add_response("describe_stack_events", {"StackEvents": [rolled, rolling, failed, started, old]},
                      {"StackName": STACK_ID})
    printed: list[str] = []
    with pytest.raises(changeset.DeployFailed) as caught:
        changeset.apply(cloud, plan, printed.append)
    assert printed == [
        "  UPDATE_IN_PROGRESS  AWS::CloudFormation::Stack  shop-dev: User Initiated",
        "  UPDATE_FAILED  AWS::Lambda::Function  FunctionHello: " + failed["ResourceStatusReason"],
        ("  UPDATE_ROLLBACK_IN_PROGRESS  AWS::CloudFormation::Stack  shop-dev: The following resource(s) failed "
        "to update: [FunctionHello]."),
        "  UPDATE_ROLLBACK_COMPLETE  AWS::CloudFormation::Stack  shop-dev",
    ]
    assert str(caught.value) == ("Deploy of stack shop-dev failed: the stack is UPDATE_ROLLBACK_COMPLETE.\n"
                                 "  UPDATE_FAILED  AWS::Lambda::Function  FunctionHello: "
                                 + failed["ResourceStatusReason"])


def test_nothing_to_change_as_a_validation_error(cfn):
    cloud, stub = cfn
    stub.add_response("describe_stacks", stack("UPDATE_COMPLETE", key=PARAMS["CodeKey"]), {"StackName": "shop-dev"})
    stub.add_client_error("create_change_set", "ValidationError", "No updates are to be performed.")
    plan = changeset.plan(cloud, "shop-dev", PARAMS, template_body="{}")
    assert plan.nothing_to_do and plan.parameters == []
    assert changeset.describe(plan) == ["Stack shop-dev is up to date: nothing to change."]


def test_nothing_to_change_as_a_failed_change_set_which_is_deleted(cfn):
    cloud, stub = cfn
    stub.add_response("describe_stacks", stack("UPDATE_COMPLETE", key=PARAMS["CodeKey"]), {"StackName": "shop-dev"})
    stub.add_response("create_change_set", {"Id": CHANGE_SET, "StackId": STACK_ID}, None)
    stub.add_response("describe_change_set", {"ChangeSetId": CHANGE_SET, "Status": "CREATE_PENDING"}, None)
    stub.add_response("describe_change_set", {
        "ChangeSetId": CHANGE_SET, "Status": "FAILED", "ExecutionStatus": "UNAVAILABLE",
        "StatusReason": "The submitted information didn't contain changes. Submit different information to "
                        "create a change set."}, None)
    stub.add_response("delete_change_set", {}, {"ChangeSetName": CHANGE_SET})
    assert changeset.plan(cloud, "shop-dev", PARAMS, template_body="{}").nothing_to_do


def test_a_change_set_failing_for_another_reason_is_an_error(cfn):
    cloud, stub = cfn
    stub.add_response("describe_stacks", stack("UPDATE_COMPLETE"), None)
    stub.add_response("create_change_set", {"Id": CHANGE_SET, "StackId": STACK_ID}, None)
    stub.add_response("describe_change_set", {
        "ChangeSetId": CHANGE_SET, "Status": "FAILED",
        "StatusReason": "Requires capabilities : [CAPABILITY_NAMED_IAM]"}, None)
    stub.add_response("delete_change_set", {}, None)
    with pytest.raises(CloudError, match=r"refused the change set for shop-dev: Requires capabilities"):
        changeset.plan(cloud, "shop-dev", PARAMS, template_body="{}")


@pytest.mark.parametrize("status, message", [
    ("ROLLBACK_COMPLETE", "delete it with `tight deploy.delete --stage dev`"),
    ("UPDATE_IN_PROGRESS", r"is busy \(UPDATE_IN_PROGRESS\): wait until it settles"),
    ("UPDATE_ROLLBACK_FAILED", "continue the rollback"),
])
def test_stacks_that_cannot_be_updated_say_what_to_do(cfn, status, message):
    cloud, stub = cfn
    stub.add_response("describe_stacks", stack(status), None)
    with pytest.raises(CloudError, match=message):
        changeset.plan(cloud, "shop-dev", PARAMS, template_body="{}", delete_hint="tight deploy.delete --stage dev")


def test_a_stack_left_in_review_is_created_again(cfn):
    cloud, stub = cfn
    stub.add_response("describe_stacks", stack("REVIEW_IN_PROGRESS"), None)
    stub.add_response("create_change_set", {"Id": CHANGE_SET, "StackId": STACK_ID},
                      {"StackName": "shop-dev", "ChangeSetType": "CREATE", "ChangeSetName": ANY,
                       "Capabilities": ["CAPABILITY_IAM"], "TemplateURL": "https://s3/b/t.yml", "Parameters": ANY})
    stub.add_response("describe_change_set", {"ChangeSetId": CHANGE_SET, "Status": "CREATE_COMPLETE", "Changes": []},
                      None)
    plan = changeset.plan(cloud, "shop-dev", PARAMS, template_url="https://s3/b/t.yml")
    assert plan.kind == "CREATE"
    assert changeset.describe(plan) == ["Changes to create stack shop-dev:", "  (no resource changes listed)"]


def test_status_shows_the_stacks_outputs(cfn):
    from tight_tasks.deploy import report

    cloud, stub = cfn
    sts = cloud.session.client("sts")
    cloud._clients["sts", False] = sts
    described = stack("UPDATE_COMPLETE")
    described["Stacks"][0]["Outputs"] = [
        {"OutputKey": "ApiUrl", "OutputValue": "https://abc.execute-api.eu-west-1.amazonaws.com/dev/"},
        {"OutputKey": "OrdersQueueUrl", "OutputValue": "https://sqs.eu-west-1.amazonaws.com/1/shop-dev-orders"}]
    stub.add_response("describe_stacks", described, {"StackName": "shop-dev"})
    stub.add_response("list_stack_resources", {"StackResourceSummaries": [
        {"LogicalResourceId": "Api", "PhysicalResourceId": "abc", "ResourceType": "AWS::ApiGateway::RestApi",
         "ResourceStatus": "CREATE_COMPLETE", "LastUpdatedTimestamp": NOW}]}, {"StackName": STACK_ID})
    s3 = cloud._clients["s3", False] = cloud.session.client("s3")
    printed = []
    with Stubber(sts) as sts_stub, Stubber(s3) as s3_stub:
        sts_stub.add_response("get_caller_identity", {"Account": "123456789012", "Arn": "arn:aws:iam::1:user/u",
                                                      "UserId": "u"}, {})
        s3_stub.add_client_error("head_bucket", "404", http_status_code=404,
                                 expected_params={"Bucket": "tight-deploy-123456789012-eu-west-1",
                                                  "ExpectedBucketOwner": "123456789012"})
        report.status({"name": "shop"}, "dev", out=printed.append, cloud_factory=lambda region: cloud)
    assert printed[1:] == ["API: https://abc.execute-api.eu-west-1.amazonaws.com/dev/",
                           "Output OrdersQueueUrl: https://sqs.eu-west-1.amazonaws.com/1/shop-dev-orders",
                           "Deployments: none recorded (tight records each deploy from now on)."]
    assert printed[0].startswith("Stack shop-dev: UPDATE_COMPLETE (eu-west-1)")


def test_follow_reads_every_page_back_to_the_last_event_it_printed(cfn):
    cloud, stub = cfn
    e = [event(n, f"R{n}", "AWS::Lambda::Function", "CREATE_FAILED" if n == 3 else "CREATE_COMPLETE")
         for n in range(7)]
    stub.add_response("describe_stacks", stack("ROLLBACK_IN_PROGRESS"), {"StackName": STACK_ID})
    stub.add_response("describe_stack_events", {"StackEvents": [e[5], e[4]], "NextToken": "page2"},
                      {"StackName": STACK_ID})
    stub.add_response("describe_stack_events", {"StackEvents": [e[3], e[2], e[1], e[0]]},
                      {"StackName": STACK_ID, "NextToken": "page2"})
    stub.add_response("describe_stacks", stack("ROLLBACK_COMPLETE"), {"StackName": STACK_ID})
    stub.add_response("describe_stack_events", {"StackEvents": [e[6], e[5], e[4]], "NextToken": "older"},
                      {"StackName": STACK_ID})
    printed: list[str] = []
    status, seen = changeset.follow(cloud, STACK_ID, "e1", printed.append, lambda s: not s.endswith("PROGRESS"))
    assert status == "ROLLBACK_COMPLETE"
    assert [x["EventId"] for x in seen] == ["e2", "e3", "e4", "e5", "e6"]  # each once, oldest first
    assert printed[1] == "  CREATE_FAILED  AWS::Lambda::Function  R3"
    assert "R3" in changeset.failure_block("shop-dev", status, seen)
