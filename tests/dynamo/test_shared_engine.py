"""The embedded engine is one database, like DynamoDB Local's -sharedDb: regions and access keys do not matter."""
from __future__ import annotations

import boto3
import pytest
from dynamo_apps import ACCOUNT, EVENT, make_app

REGIONS = ("us-east-1", "us-west-2", "localhost", "eu-central-1")


@pytest.fixture
def app_models(tmp_path, monkeypatch):
    import sys

    from tight.dev.models import discover_models

    monkeypatch.setenv("NAME", "my-service")
    monkeypatch.setenv("STAGE", "dev")
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield discover_models(make_app(tmp_path / "svc", {"Account": ACCOUNT, "Event": EVENT}))
    for name in [n for n in sys.modules if n == "app" or n.startswith("app.")]:
        del sys.modules[name]


def session(region, key="local", secret="local", token=None):
    return boto3.session.Session(region_name=region, aws_access_key_id=key, aws_secret_access_key=secret,
                                 aws_session_token=token)


def test_every_region_and_access_key_sees_the_same_tables(app_models, monkeypatch):
    """Tables made by tight in one region, items written from another, read back from all of them,
    also with credentials moto would file under another account (an assumed role in 111111111111)."""
    from tight.dev.local_dynamodb import embedded_dynamodb

    monkeypatch.setenv("AWS_REGION", "localhost")  # the region tight itself signs with
    with embedded_dynamodb(app_models) as endpoint:
        sts = session("us-east-1").client("sts", endpoint_url=endpoint)
        other = sts.assume_role(RoleArn="arn:aws:iam::111111111111:role/dev",
                                RoleSessionName="dev-session")["Credentials"]
        keys = [("local", "local", None), ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI", None),
                (other["AccessKeyId"], other["SecretAccessKey"], other["SessionToken"])]
        writer = session("us-west-2", *keys[2]).client("dynamodb", endpoint_url=endpoint)
        writer.put_item(TableName="my-service-dev-accounts", Item={"id": {"S": "a1"}, "from": {"S": "us-west-2"}})
        for key in keys:
            for region in REGIONS:
                dynamodb = session(region, *key).client("dynamodb", endpoint_url=endpoint)
                assert dynamodb.list_tables()["TableNames"] == ["my-service-dev-accounts",
                                                                "my-service-dev-events"], (key[0], region)
                item = dynamodb.get_item(TableName="my-service-dev-accounts", Key={"id": {"S": "a1"}})["Item"]
                assert item["from"] == {"S": "us-west-2"}, (key[0], region)
        # A table created from one region is there for another; streams follow the table.
        session("eu-central-1").client("dynamodb", endpoint_url=endpoint).create_table(
            TableName="adhoc", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        local = session("localhost", *keys[1]).client("dynamodb", endpoint_url=endpoint)
        assert "adhoc" in local.list_tables()["TableNames"]
        arn = local.describe_table(TableName="my-service-dev-events")["Table"]["LatestStreamArn"]
        streams = session("ap-south-1").client("dynamodbstreams", endpoint_url=endpoint)
        assert streams.describe_stream(StreamArn=arn)["StreamDescription"]["TableName"] == "my-service-dev-events"


def test_shared_environ_rewrites_only_what_picks_account_and_region():
    from tight.dev.local_dynamodb import (
        DUMMY_CREDENTIALS,
        SHARED_REGION,
        shared_environ,
    )

    environ = {
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261126/localhost/dynamodb/"
                              "aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
        "HTTP_USER_AGENT": "Boto3/1.40 md/Botocore#1.40 region/us-west-2 cfg/retry-mode#legacy",
        "HTTP_X_MOTO_ACCOUNT_ID": "222222222222", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.ListTables",
    }
    shared = shared_environ(environ)
    assert shared["HTTP_AUTHORIZATION"] == (
        f"AWS4-HMAC-SHA256 Credential={DUMMY_CREDENTIALS['aws_access_key_id']}/20261126/{SHARED_REGION}/dynamodb/"
        "aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=abc")
    assert shared["HTTP_USER_AGENT"] == "Boto3/1.40 md/Botocore#1.40 cfg/retry-mode#legacy"
    assert "HTTP_X_MOTO_ACCOUNT_ID" not in shared and environ["HTTP_X_MOTO_ACCOUNT_ID"] == "222222222222"
    unsigned = shared_environ({"HTTP_X_AMZ_TARGET": "DynamoDB_20120810.ListTables"})
    assert f"/{SHARED_REGION}/dynamodb/aws4_request" in unsigned["HTTP_AUTHORIZATION"]


def test_queues_and_buckets_are_shared_by_every_region_too_and_forgotten_on_exit():
    from tight.dev.local_dynamodb import embedded_dynamodb

    with embedded_dynamodb() as endpoint:
        url = session("eu-west-3", key="one").client("sqs", endpoint_url=endpoint).create_queue(
            QueueName="shared-q")["QueueUrl"]
        session("ap-south-1", key="two").client("s3", endpoint_url=endpoint).create_bucket(Bucket="shared-b")
        other = session("localhost", key="three")
        assert other.client("sqs", endpoint_url=endpoint).get_queue_url(QueueName="shared-q")["QueueUrl"] == url
        assert [b["Name"] for b in other.client("s3", endpoint_url=endpoint).list_buckets()["Buckets"]] == \
            ["shared-b"]
    with embedded_dynamodb() as endpoint:
        assert session("us-east-1").client("sqs", endpoint_url=endpoint).list_queues().get("QueueUrls", []) == []
        assert session("us-east-1").client("s3", endpoint_url=endpoint).list_buckets()["Buckets"] == []
