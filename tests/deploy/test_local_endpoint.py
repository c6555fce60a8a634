"""Deploying to a local stand-in for AWS (AWS_ENDPOINT_URL: moto, LocalStack): what tight does differently there."""
from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from tight_tasks.deploy.apistage import STAGE
from tight_tasks.deploy.cloud import Cloud, CloudError
from tight_tasks.deploy.deployer import check_access_logging
from tight_tasks.deploy.restapi import api_url

TEMPLATE = f"Resources:\n  {STAGE}:\n    Type: AWS::ApiGateway::Stage\n"


def cloud_at(endpoint: str | None) -> tuple[Cloud, Stubber]:
    session = boto3.session.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="eu-west-1")
    cloud = Cloud(session)
    client = session.client("apigateway", endpoint_url=endpoint)
    cloud._clients["apigateway", False] = client
    return cloud, Stubber(client)


def test_on_aws_a_missing_logging_role_stops_the_deploy():
    cloud, stub = cloud_at(None)
    stub.add_response("get_account", {})
    with stub, pytest.raises(CloudError, match="API Gateway in eu-west-1 has no CloudWatch Logs role"):
        check_access_logging(cloud, TEMPLATE)
    stub.assert_no_pending_responses()


@pytest.mark.parametrize("endpoint", ["http://localhost:5000", "http://127.0.0.1:4566", "https://localstack.internal"])
def test_a_local_endpoint_needs_no_logging_role(endpoint):
    """A fresh moto or LocalStack has no such role and delivers no access logs: the rehearsal goes on."""
    cloud, stub = cloud_at(endpoint)
    with stub:  # any call would fail: nothing is stubbed
        check_access_logging(cloud, TEMPLATE)
    assert cloud.local_endpoint("apigateway") == endpoint


@pytest.mark.parametrize("endpoint", [None, "https://apigateway.eu-west-1.amazonaws.com"])
def test_aws_endpoints_are_not_local(endpoint):
    cloud, _ = cloud_at(endpoint)
    assert cloud.local_endpoint("apigateway") is None


def test_the_api_url_is_the_one_the_endpoint_serves():
    assert api_url("a1b2c3", "eu-west-1", "dev") == "https://a1b2c3.execute-api.eu-west-1.amazonaws.com/dev/"
    assert api_url("a1b2c3", "cn-north-1", "dev") == "https://a1b2c3.execute-api.cn-north-1.amazonaws.com.cn/dev/"
    assert api_url("a1b2c3", "us-east-1", "dev", "http://localhost:4566/") == \
        "http://localhost:4566/restapis/a1b2c3/dev/_user_request_/"
