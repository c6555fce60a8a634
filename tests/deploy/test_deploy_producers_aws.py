"""`functions.NAME.uses` deployed on moto: the sender's environment and role, and its queues.send/put_object
run from the deployed zip in Python 3.12 with only boto3."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import AWS_REGION, run_tight
from deploy_support import role_policy, run_deployed

from tight_tasks._pip.vendordir import copy_runtime

STACK = "senders-test"
API = '''\
import boto3
import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy
from tight.providers.aws.clients import buckets, queues


@lambda_proxy.post
def post_handler(body):
    sent = queues.send("orders", body, source="api")
    boto3.client("s3").put_object(Bucket=buckets.name("thumbs"), Key="uploads/" + body["id"], Body=b"x")
    return {"statusCode": 202, "body": {"sent": sent, "bucket": buckets.name("thumbs")}}
'''


@pytest.fixture(scope="module")
def senders(tmp_path_factory, tight_aws) -> Path:
    base = tmp_path_factory.mktemp("senders")
    assert run_tight("generate.app", "senders", cwd=base).returncode == 0
    root = base / "senders"
    for command in (["generate.function", "api"], ["generate.function", "orders", "--type", "sqs"],
                    ["generate.function", "thumbs", "--type", "s3"]):
        result = run_tight(*command, cwd=root)
        assert result.returncode == 0, result.stdout + result.stderr
    (root / "app" / "functions" / "api" / "handler.py").write_text(API)
    config = yaml.safe_load((root / "tight.yml").read_text())
    config["functions"]["api"] = {"uses": ["orders", "thumbs"]}
    (root / "tight.yml").write_text(yaml.safe_dump(config))
    (root / "requirements-vendor.txt").write_text("# nothing to vendor\n")
    copy_runtime(root / "app" / "vendored")  # what `tight pip.install` vendors of tight: the zip must run alone
    result = tight_aws("deploy", "--stage", "test", "--yes", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def test_the_sender_gets_the_urls_and_may_send_and_put_there_only(senders, aws):
    account, region = aws("sts").get_caller_identity()["Account"], AWS_REGION
    variables = aws("lambda").get_function_configuration(FunctionName=f"{STACK}-api")["Environment"]["Variables"]
    # the queue's Ref, as CloudFormation resolves it (moto: its AWS-shaped URL)
    assert json.loads(variables["TIGHT_QUEUES"]) == {
        "orders": f"https://sqs.{region}.amazonaws.com/{account}/{STACK}-orders"}
    assert json.loads(variables["TIGHT_BUCKETS"]) == {"thumbs": f"{STACK}-thumbs-uploads"}
    others = aws("lambda").get_function_configuration(FunctionName=f"{STACK}-orders")["Environment"]["Variables"]
    assert json.loads(others["TIGHT_QUEUES"]) == {"orders": None}
    policy = role_policy(aws, f"{STACK}-api")
    assert policy[("sqs:SendMessage",)] == [f"arn:aws:sqs:{region}:{account}:{STACK}-orders"]
    assert policy[("s3:PutObject",)] == [f"arn:aws:s3:::{STACK}-thumbs-uploads/*"]
    assert ("sqs:SendMessage",) not in role_policy(aws, f"{STACK}-orders")


def test_the_deployed_sender_sends_and_uploads(senders, aws, moto_endpoint, lambda_python,
                                               tmp_path):
    from tight.dev.gateway import Request, build_event
    from tight.dev.routes import Match, Route

    request = Request("POST", "/api", headers=(("Host", "x"), ("Content-Type", "application/json")),
                      body=b'{"id": "caf\\u00e9-1"}')
    event = build_event(request, Match(Route("api", "/api"), {}), "1.0", "test")
    result = run_deployed(aws, moto_endpoint, STACK, f"{STACK}-api", event, lambda_python("3.12"), tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(json.loads(result.stdout)["body"])
    sqs = aws("sqs")
    url = sqs.get_queue_url(QueueName=f"{STACK}-orders")["QueueUrl"]
    (message,) = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], WaitTimeSeconds=2)["Messages"]
    assert message["MessageId"] == answer["sent"] and json.loads(message["Body"]) == {"id": "café-1"}
    assert message["MessageAttributes"]["source"]["StringValue"] == "api"
    assert aws("s3").get_object(Bucket=answer["bucket"], Key="uploads/café-1")["Body"].read() == b"x"
