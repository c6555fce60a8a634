"""The one place that talks to AWS (boto3): S3, CloudFormation, Lambda, API Gateway, Logs, STS.

:class:`Cloud` wraps a boto3 session (injectable, as is ``sleep``); every call
goes through :meth:`Cloud.call`, which turns botocore's errors into one
:class:`CloudError` saying what failed and what to try. The standard AWS
environment applies: profile, region, credentials, ``AWS_ENDPOINT_URL``
(LocalStack, moto's server).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

CREDENTIALS_HELP = ("set AWS_PROFILE (see `aws configure`) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; against "
                    "a local endpoint (AWS_ENDPOINT_URL: moto, LocalStack) any values work, e.g. "
                    "AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test")
REGION_HELP = ("pass --region, set AWS_REGION, or set a region in your AWS profile (`aws configure`); against a "
               "local endpoint any region works, e.g. AWS_REGION=us-east-1")
#: Hosts of AWS's own endpoints; any other endpoint (AWS_ENDPOINT_URL) is a local stand-in.
AWS_HOSTS = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")


class CloudError(Exception):
    """An AWS call failed; ``str()`` is one line: what, why, what to try. ``code`` is AWS's error code."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code


def _unparsed(text: str) -> str:
    """A botocore error in one line; an error body botocore could not parse (a JSON error where
    XML was expected, as emulators send) is shown as its type and message."""
    import re

    kind = re.search(r'"__type": "(?:[^"#]*#)?([^"]+)"', text)
    message = re.search(r'"message": "([^"]*)"', text, re.IGNORECASE)
    if kind and message:
        return f"{kind.group(1)}: {message.group(1)}"
    return " ".join(text.split())[:500]


def _owned(owner: str | None) -> dict[str, str]:
    """``ExpectedBucketOwner``: S3 refuses the call when the bucket is another account's (a name taken after
    ours was deleted, or a bucket named in tight.yml that is not ours)."""
    return {"ExpectedBucketOwner": owner} if owner else {}


class Cloud:
    """AWS calls tight makes, over one boto3 session."""

    def __init__(self, session: Any, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time):
        self.session = session
        self.sleep = sleep
        self.clock = clock
        self._clients: dict[tuple[str, bool], Any] = {}
        self._account: str | None = None

    @classmethod
    def connect(cls, region: str | None = None, profile: str | None = None, **kwargs: Any) -> Cloud:
        """A :class:`Cloud` over a new boto3 session; fails at once without a region.

        The region: ``region``, else ``AWS_REGION`` (as the AWS CLI reads it; botocore reads only
        ``AWS_DEFAULT_REGION``), else ``AWS_DEFAULT_REGION`` or the profile's.
        """
        import os

        import boto3
        import botocore.exceptions as errors

        try:
            session = boto3.session.Session(region_name=region or os.environ.get("AWS_REGION") or None, profile_name=profile or None)
        except errors.ProfileNotFound as exc:
            raise CloudError(f"{exc}: create it with `aws configure --profile NAME`, or unset AWS_PROFILE.") from None
        if not session.region_name:
            raise CloudError(f"No AWS region is set: {REGION_HELP}.")
        return cls(session, **kwargs)

    @property
    def region(self) -> str:
        return self.session.region_name

    def local_endpoint(self, service: str) -> str | None:
        """The endpoint URL of ``service`` when it is not AWS's own (AWS_ENDPOINT_URL: moto, LocalStack)."""
        from urllib.parse import urlsplit

        url = self.client(service).meta.endpoint_url
        host = (urlsplit(url).hostname or "").lower()
        return None if host.endswith(AWS_HOSTS) else url.rstrip("/")

    def client(self, service: str, once: bool = False) -> Any:
        """The boto3 client of ``service``; ``once``: one that never retries (for calls that must not repeat)."""
        if (service, once) not in self._clients:
            config = None
            if once:
                from botocore.config import Config

                config = Config(retries={"total_max_attempts": 1, "mode": "standard"})
            self._clients[service, once] = self.session.client(service, config=config)
        return self._clients[service, once]

    def call(self, service: str, operation: str, once: bool = False, **params: Any) -> Any:
        """``client(service).<operation>(**params)``; failures become :class:`CloudError`.

        ``once``: no retries (executing a change set twice is not the same as once).
        """
        import botocore.exceptions as errors
        from botocore.parsers import ResponseParserError

        try:
            return getattr(self.client(service, once), operation)(**params)
        except errors.NoCredentialsError:
            raise CloudError(f"No AWS credentials found: {CREDENTIALS_HELP}.") from None
        except errors.NoRegionError:
            raise CloudError(f"No AWS region is set: {REGION_HELP}.") from None
        except errors.ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code") or "Error"
            message = " ".join(str(error.get("Message") or exc).split())
            raise CloudError(f"{service} {operation} failed: {code}: {message}", code) from None
        except errors.EndpointConnectionError as exc:
            raise CloudError(f"Cannot reach AWS ({exc.kwargs.get('endpoint_url')}): check the network, "
                             "AWS_ENDPOINT_URL and the region.") from None
        except (errors.BotoCoreError, ResponseParserError) as exc:
            raise CloudError(f"{service} {operation} failed: {_unparsed(str(exc))}") from None
        except (KeyError, TypeError, AttributeError) as exc:  # botocore could not read the answer at all
            endpoint = self.client(service, once).meta.endpoint_url
            raise CloudError(f"{service} {operation} failed: {endpoint} did not answer as AWS does ({type(exc).__name__}"
                             f" {exc} reading its reply): check AWS_ENDPOINT_URL and the network.") from None

    def pages(self, service: str, operation: str, key: str, **params: Any) -> Iterator[Any]:
        """Every item under ``key`` of every page of a paginated call."""
        token_in, token_out = {"cloudformation": ("NextToken", "NextToken"), "logs": ("nextToken", "nextToken"),
                               "apigateway": ("position", "position"),
                               "s3": ("ContinuationToken", "NextContinuationToken")}[service]
        while True:
            page = self.call(service, operation, **params)
            yield from page.get(key) or []
            token = page.get(token_out)
            if not token:
                return
            params[token_in] = token

    # -- identity, S3 ---------------------------------------------------------------

    def account_id(self) -> str:
        if self._account is None:
            self._account = self.call("sts", "get_caller_identity")["Account"]
        return self._account

    def bucket_exists(self, bucket: str, owner: str | None = None) -> bool:
        """Whether ``bucket`` exists (and is ours: ``owner``'s, when given); one in another region is an error:
        Lambda reads code only from a bucket in its own region."""
        try:
            answer = self.call("s3", "head_bucket", Bucket=bucket, **_owned(owner))
        except CloudError as exc:
            if exc.code in ("404", "NoSuchBucket", "NotFound"):
                return False
            if exc.code in ("403", "AccessDenied"):
                raise CloudError(f"S3 bucket {bucket} belongs to another account or denies access: "
                                 "choose another with --bucket or deploy.bucket in tight.yml.", exc.code) from None
            raise
        region = answer.get("BucketRegion") or answer.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get(
            "x-amz-bucket-region")
        if region and region != self.region:
            raise CloudError(f"S3 bucket {bucket} is in {region}, but the stack goes to {self.region}: Lambda reads "
                             f"code only from its own region; choose a bucket in {self.region}.")
        return True

    def create_bucket(self, bucket: str) -> None:
        params: dict[str, Any] = {"Bucket": bucket}
        if self.region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        self.call("s3", "create_bucket", **params)
        self.call("s3", "put_public_access_block", Bucket=bucket, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True})
        self.call("s3", "put_bucket_ownership_controls", Bucket=bucket,
                  OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
        self.call("s3", "put_bucket_encryption", Bucket=bucket, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]})

    def object_exists(self, bucket: str, key: str, owner: str | None = None) -> bool:
        try:
            self.call("s3", "head_object", Bucket=bucket, Key=key, **_owned(owner))
        except CloudError as exc:
            if exc.code in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def upload(self, bucket: str, key: str, body: Path | bytes, owner: str | None = None) -> None:
        data = body if isinstance(body, bytes) else Path(body).read_bytes()
        self.call("s3", "put_object", Bucket=bucket, Key=key, Body=data, **_owned(owner))

    def object_url(self, bucket: str, key: str) -> str:
        """A path-style URL of an object, as CloudFormation's TemplateURL wants it."""
        return f"{self.client('s3').meta.endpoint_url.rstrip('/')}/{bucket}/{key}"

    def table_exists(self, table: str) -> bool:
        try:
            self.call("dynamodb", "describe_table", TableName=table)
        except CloudError as exc:
            if exc.code == "ResourceNotFoundException":
                return False
            raise
        return True

    # -- CloudFormation -------------------------------------------------------------

    def stack(self, name: str) -> dict[str, Any] | None:
        """The stack ``name`` (``describe_stacks``), or None when there is none."""
        try:
            stacks = self.call("cloudformation", "describe_stacks", StackName=name)["Stacks"]
        except CloudError as exc:
            if exc.code == "ValidationError" and "does not exist" in str(exc):
                return None
            raise
        live = [s for s in stacks if s.get("StackStatus") != "DELETE_COMPLETE"]
        return live[-1] if live else None

    def stack_resources(self, name: str, nested: bool = False) -> list[dict[str, Any]]:
        """The stack's resources; ``nested``: with those of its nested stacks (tight's large apps)."""
        found = list(self.pages("cloudformation", "list_stack_resources", "StackResourceSummaries", StackName=name))
        for resource in list(found) if nested else ():
            if resource.get("ResourceType") == "AWS::CloudFormation::Stack" and resource.get("PhysicalResourceId"):
                found.extend(self.stack_resources(resource["PhysicalResourceId"], nested=True))
        return found

    def stack_events(self, name: str, since: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """The stack's events newer than event ``since`` (all without it), newest first, at most ``limit``."""
        found: list[dict[str, Any]] = []
        for event in self.pages("cloudformation", "describe_stack_events", "StackEvents", StackName=name):
            if (since is not None and event.get("EventId") == since) or (limit is not None and len(found) >= limit):
                break
            found.append(event)
        return found
