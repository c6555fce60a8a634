"""Hardened deploys on moto's server: binary bodies through the deployed shape, the code bucket, S3 calls that
expect their owner, and hostile probes (each one line, non-zero exit, nothing left behind)."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import AWS_REGION, aws_env, listed, run_tight, serve_wsgi
from deploy_support import run_deployed
from invoke.exceptions import Exit

from tight_tasks._pip.vendordir import copy_runtime
from tight_tasks.config import read_app_config
from tight_tasks.deploy.cloud import Cloud
from tight_tasks.deploy.deployer import deploy

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")  # a PNG's signature and header
IMAGE = """import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy


@lambda_proxy.post
def post_handler(body=None, **kwargs):
    kind = type(body).__name__
    if isinstance(body, bytes):  # an image: sent back as it came, with its type
        return {'statusCode': 200, 'headers': {'Content-Type': 'image/png', 'X-Got': kind}, 'body': body}
    return {'statusCode': 200, 'body': {'got': kind, 'value': body}}
"""


@pytest.fixture(scope="module")
def small_app(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("crash")
    assert run_tight("generate.app", "crash", cwd=base).returncode == 0
    root = base / "crash"
    assert run_tight("generate.function", "hello", cwd=root).returncode == 0
    (root / "requirements-vendor.txt").write_text("# nothing to vendor\n")
    copy_runtime(root / "app" / "vendored")  # what `tight pip.install` vendors of tight: the zip must run alone
    (root / "app" / "functions" / "image").mkdir()
    (root / "app" / "functions" / "image" / "__init__.py").write_text("")
    (root / "app" / "functions" / "image" / "handler.py").write_text(IMAGE)
    return root


def html(page: bytes):
    def application(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html")])
        return [page]

    return application


@pytest.mark.parametrize("task", ["deploy", "deploy.status"])
@pytest.mark.parametrize("page, words", [
    (b"<html><head><title>Sign in</title></head><body><p>Corporate proxy</p></body></html>",  # was a KeyError
     "did not answer as AWS does (KeyError 'GetCallerIdentityResult' reading its reply): check AWS_ENDPOINT_URL"),
    (b"<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>", "invalid XML received"),
])
def test_an_endpoint_answering_html_is_one_line(small_app, task, page, words):
    with serve_wsgi(html(page)) as url:
        result = run_tight(task, "--stage", "x", cwd=small_app, env=aws_env(url))
    assert (result.returncode, result.stdout) == (1, ""), result.stdout + result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("sts get_caller_identity failed: ") and words in result.stderr


@pytest.fixture
def in_moto(moto_endpoint, monkeypatch, small_app):
    for key, value in aws_env(moto_endpoint).items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)
    monkeypatch.chdir(small_app)


def stacks(aws, name: str) -> list[str]:
    return [s["StackStatus"] for s in listed(aws("cloudformation"), "list_stacks", "StackSummaries")
            if s["StackName"] == name and s["StackStatus"] != "DELETE_COMPLETE"]


@pytest.mark.parametrize("where", ["after the plan is shown", "at the prompt"])
def test_ctrl_c_before_the_change_set_runs_removes_what_tight_made(small_app, aws, in_moto, where):
    printed = []

    def out(line: str) -> None:
        printed.append(line)
        if where == "after the plan is shown" and line.startswith("Changes to create stack"):
            raise KeyboardInterrupt

    def confirm(question: str) -> bool:
        raise KeyboardInterrupt

    stage = "ctrlc1" if where.startswith("after") else "ctrlc2"
    with pytest.raises(Exit) as caught:
        deploy(small_app, read_app_config(small_app / "tight.yml"), stage, out=out, confirm=confirm)
    assert caught.value.code == 130
    assert caught.value.message == (f"Stopped before the change set ran: nothing was deployed; removed the change "
                                    f"set and the empty stack it made (crash-{stage}).")
    assert f"Changes to create stack crash-{stage}:" in printed
    assert stacks(aws, f"crash-{stage}") == []  # no REVIEW_IN_PROGRESS stack is left behind
    change_sets = listed(aws("cloudformation"), "list_change_sets", "Summaries", StackName=f"crash-{stage}")
    assert [c for c in change_sets if c.get("StackName") == f"crash-{stage}"] == []


def rest_event(body: bytes, content_type: str) -> dict:
    """What a REST API with BinaryMediaTypes */* sends: every body base64-encoded."""
    import base64

    return {"resource": "/image", "path": "/image", "httpMethod": "POST", "headers": {"Content-Type": content_type},
            "multiValueHeaders": {"Content-Type": [content_type]}, "queryStringParameters": None,
            "multiValueQueryStringParameters": None, "pathParameters": None, "stageVariables": None,
            "requestContext": {"resourcePath": "/image", "httpMethod": "POST", "stage": "bin", "path": "/bin/image"},
            "body": base64.b64encode(body).decode(), "isBase64Encoded": True}


def test_a_png_goes_through_the_deployed_function_as_bytes_and_text_stays_text(small_app, tight_aws, aws,
                                                                               moto_endpoint, lambda_python, tmp_path):
    import base64
    import json

    result = tight_aws("deploy", "--stage", "bin", "--yes", cwd=small_app)
    assert result.returncode == 0, result.stdout + result.stderr
    template = aws("cloudformation").get_template(StackName="crash-bin")["TemplateBody"]
    assert "BinaryMediaTypes:\n      - '*/*'" in template  # moto creates the API by name only: read the template
    python = lambda_python("3.12")

    def call(body: bytes, content_type: str) -> dict:
        ran = run_deployed(aws, moto_endpoint, "crash-bin", "crash-bin-image", rest_event(body, content_type),
                           python, tmp_path)
        assert ran.returncode == 0, ran.stderr
        return json.loads(ran.stdout)

    image = call(PNG, "image/png")
    assert image["isBase64Encoded"] is True and base64.b64decode(image["body"]) == PNG  # API Gateway sends bytes
    assert image["headers"]["X-Got"] == "bytes"
    assert json.loads(call(b'{"a": 1}', "application/json")["body"]) == {"got": "dict", "value": {"a": 1}}
    form = json.loads(call(b"a=1&b=caf%C3%A9", "application/x-www-form-urlencoded")["body"])
    assert form == {"got": "str", "value": "a=1&b=caf%C3%A9"}


def test_the_code_bucket_tight_made_is_encrypted_and_owner_enforced(small_app, aws, in_moto):
    with pytest.raises(Exit):
        deploy(small_app, read_app_config(small_app / "tight.yml"), "own", out=lambda line: None,
               confirm=lambda question: False)
    s3, bucket = aws("s3"), f"tight-deploy-123456789012-{AWS_REGION}"
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}]
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True


def s3_calls():
    """``(calls, cloud_factory)``: each S3 call of the clouds the factory makes, as (operation, Bucket,
    ExpectedBucketOwner), seen through botocore's own event hooks (moto ignores the owner header)."""
    calls = []

    def factory(region=None):
        cloud = Cloud.connect(region)
        cloud.session.events.register(
            "provide-client-params.s3", lambda params, event_name, **kw: calls.append(
                (event_name.rsplit(".", 1)[-1], params.get("Bucket"), params.get("ExpectedBucketOwner"))))
        return cloud

    return calls, factory


def test_s3_calls_on_a_bucket_tight_did_not_just_create_expect_its_owner(small_app, aws, in_moto):
    aws("s3").create_bucket(Bucket="team-artifacts", CreateBucketConfiguration={"LocationConstraint": AWS_REGION})
    calls, factory = s3_calls()

    settings = {**read_app_config(small_app / "tight.yml"), "deploy": {"bucket": "team-artifacts"}}
    with pytest.raises(Exit, match="Not deployed"):
        deploy(small_app, settings, "owned", out=lambda line: None, confirm=lambda q: False, cloud_factory=factory)
    assert {name for name, _, _ in calls} >= {"HeadBucket", "HeadObject", "PutObject"}
    assert [c for c in calls if c[1] == "team-artifacts" and c[2] != "123456789012"] == []


def test_the_deployment_records_and_rollback_expect_their_buckets_owner(small_app, aws, in_moto):
    """deploy.rollback reads a template and a code key from the bucket's records: from a bucket another account
    took over, it would deploy that account's template with this account's rights."""
    from tight_tasks.deploy.history import rollback

    aws("s3").create_bucket(Bucket="team-rollbacks", CreateBucketConfiguration={"LocationConstraint": AWS_REGION})
    calls, factory = s3_calls()

    settings = {**read_app_config(small_app / "tight.yml"), "deploy": {"bucket": "team-rollbacks"}}
    for memory in (128, 256):  # two deployments on record: the second changes the stack
        settings["functions"] = {"hello": {"memory": memory}}
        assert deploy(small_app, settings, "owner", out=lambda line: None, confirm=lambda q: True,
                      cloud_factory=factory).endswith("COMPLETE")
    assert rollback(settings, "owner", confirm=lambda q: True, out=lambda line: None,
                    cloud_factory=factory).endswith("COMPLETE")
    assert aws("lambda").get_function_configuration(FunctionName="crash-owner-hello")["MemorySize"] == 128
    assert {name for name, _, _ in calls} >= {"ListObjectsV2", "GetObject", "PutObject", "HeadObject", "HeadBucket"}
    assert [c for c in calls if c[1] == "team-rollbacks" and c[2] != "123456789012"] == []
