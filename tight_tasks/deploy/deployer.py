"""``tight deploy`` and ``tight deploy.delete``: the steps, in order, over :class:`.cloud.Cloud`.

Deploy: the template (fails before anything is uploaded), AWS credentials and
region, the code bucket, the artifact (``generate.artifact``'s zip, refusing
as it refuses) uploaded under its sha256, a change set (:mod:`.changeset`),
confirmation, execution, then the API URL and the tables.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..config import fail
from ..console import say
from . import changeset, history
from .cloud import Cloud, CloudError
from .parts import App, function_name, stack_name
from .stackfiles import CODE_PREFIX, make_template, render_app, template_source


def connect(region: str | None, cloud_factory: Callable[..., Cloud] | None = None) -> Cloud:
    """A :class:`Cloud` whose credentials were checked (one call to STS)."""
    try:
        cloud = (cloud_factory or Cloud.connect)(region=region)
        cloud.account_id()
    except CloudError as exc:
        raise fail(str(exc)) from None
    return cloud


def code_bucket(cloud: Cloud, bucket: str | None, out: Callable[[str], None]) -> tuple[str, str | None]:
    """The named bucket (which must exist), or tight's bucket for the account and region, created once
    (encrypted, owner-enforced, public access blocked); with the owner to expect of it (None: just created)."""
    owner = cloud.account_id()
    if bucket:
        if not cloud.bucket_exists(bucket, owner):
            raise CloudError(f"S3 bucket {bucket} does not exist: create it, or leave out --bucket and "
                             "deploy.bucket so tight creates its own.")
        return bucket, owner
    bucket = f"tight-deploy-{owner}-{cloud.region}"
    if cloud.bucket_exists(bucket, owner):
        out(f"Code bucket: {bucket}")
        return bucket, owner
    cloud.create_bucket(bucket)
    out(f"Created S3 bucket {bucket} for code and templates; later deploys reuse it "
        "(choose your own with --bucket or deploy.bucket in tight.yml).")
    return bucket, None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def upload_code(cloud: Cloud, bucket: str, app_name: str, zip_path: Path, out: Callable[[str], None],
                owner: str | None = None) -> str:
    """Upload the zip as ``tight/<app>/<sha256>.zip`` unless it is there; returns the key."""
    key = f"{CODE_PREFIX}/{app_name}/{sha256_file(zip_path)}.zip"
    if cloud.object_exists(bucket, key, owner):
        out(f"Code s3://{bucket}/{key} is already uploaded.")
    else:
        cloud.upload(bucket, key, zip_path, owner)
        out(f"Uploaded s3://{bucket}/{key}")
    return key


def api_url_of(cloud: Cloud, stack_id: str, stage: str, resources: list[dict] | None = None) -> str | None:
    """The invoke URL, from the API's physical id (stack outputs may be missing: moto drops them).

    Deployed to a local endpoint (AWS_ENDPOINT_URL), the URL that endpoint serves the API at.
    """
    from . import httpapi, restapi

    for resource in cloud.stack_resources(stack_id) if resources is None else resources:
        physical = resource.get("PhysicalResourceId")
        if resource.get("LogicalResourceId") == restapi.API and physical:
            return restapi.api_url(physical, cloud.region, stage, cloud.local_endpoint("apigateway"))
        if resource.get("LogicalResourceId") == httpapi.API and physical:
            return httpapi.api_url(physical, cloud.region)
    return None


def function_urls(cloud: Cloud, app: App) -> dict[str, str | None]:
    """The Function URL of every function with ``url:`` in tight.yml (None: not there)."""
    found: dict[str, str | None] = {}
    for name in sorted(n for n, s in app.functions.items() if s.get("url")):
        try:
            config = cloud.call("lambda", "get_function_url_config",
                                FunctionName=function_name(app.name, app.stage, name))
            found[name] = config.get("FunctionUrl")
        except CloudError:
            found[name] = None
    return found


def summary(cloud: Cloud, app: App, stack_id: str, out: Callable[[str], None]) -> None:
    url = api_url_of(cloud, stack_id, app.stage)
    if url:
        out(f"API: {url}")
    for function, address in function_urls(cloud, app).items():
        out(f"URL of {function} ({app.functions[function]['url']}): {address or 'none found (not created)'}")
    tables = [spec["TableName"] for spec in app.tables]
    out(f"Tables: {', '.join(tables)}" if tables else "Tables: none (the app has no models)")


#: Stack tags naming the app and stage a stack was deployed for (CloudFormation keeps them across updates).
APP_TAG, STAGE_TAG = "tight:app", "tight:stage"


def owner_tags(name: str, stage: str) -> dict[str, str]:
    return {APP_TAG: name, STAGE_TAG: stage}


def check_owner(existing: Mapping[str, Any] | None, name: str, stage: str, region: str) -> None:
    """Refuse a stack that tight did not deploy for this app and stage.

    Stack names are ``<app>-<stage>``, so app ``shop`` stage ``a-b`` and app ``shop-a`` stage ``b`` share one;
    a stack made by hand may have the name too. Updating or deleting either would destroy what tight did not make.
    """
    if existing is None or existing.get("StackStatus") == "REVIEW_IN_PROGRESS":
        return
    tags = {t.get("Key"): t.get("Value") for t in existing.get("Tags") or []}
    if tags.get(APP_TAG) == name and tags.get(STAGE_TAG) == stage:
        return
    whose = (f"tight deployed it for app {tags.get(APP_TAG)} stage {tags.get(STAGE_TAG)}" if APP_TAG in tags
             else "tight did not deploy it")
    raise CloudError(f"Stack {existing.get('StackName')} in {region} is not app {name}'s stage {stage} ({whose}): "
                     "tight changes and deletes only its own stacks; pick another --stage.")


def check_keys(cloud: Cloud, existing: Mapping[str, Any] | None, text: str) -> None:
    """Refuse a table change CloudFormation cannot make in place (:mod:`.keys`), comparing the stack's template."""
    import yaml

    from .keys import refusal

    if existing is None or existing.get("StackStatus") == "REVIEW_IN_PROGRESS":
        return
    body = cloud.call("cloudformation", "get_template", StackName=existing["StackId"],
                      TemplateStage="Original").get("TemplateBody")
    try:
        deployed = yaml.safe_load(body) if isinstance(body, str) else body
    except yaml.YAMLError:  # not a template tight wrote: its tables cannot be compared
        return
    why = refusal(deployed if isinstance(deployed, Mapping) else {}, yaml.safe_load(text))
    if why:
        raise CloudError(why)


def deployed_placement(cloud: Cloud, existing: Mapping[str, Any] | None) -> dict[str, int]:
    """Resource -> the number of the nested stack (``StackPartN``) it is deployed in; ``{}`` for a flat stack."""
    found: dict[str, int] = {}
    for part in cloud.stack_resources(existing["StackId"]) if existing else ():
        number = re.fullmatch(r"StackPart([1-9][0-9]*)", part.get("LogicalResourceId") or "")
        if number and part.get("ResourceType") == "AWS::CloudFormation::Stack" and part.get("PhysicalResourceId"):
            for resource in cloud.stack_resources(part["PhysicalResourceId"]):
                if resource.get("LogicalResourceId"):
                    found[resource["LogicalResourceId"]] = int(number.group(1))
    return found


def check_access_logging(cloud: Cloud, text: str) -> None:
    """A REST stage with access logs needs API Gateway's account-wide CloudWatch Logs role, set once per region;
    without it CloudFormation fails the stage half-way. A local endpoint (moto, LocalStack) delivers no access
    logs and needs no role: a rehearsal there is not stopped for it."""
    from .apistage import STAGE

    if f"\n  {STAGE}:\n" not in text or cloud.local_endpoint("apigateway"):
        return
    if not cloud.call("apigateway", "get_account").get("cloudwatchRoleArn"):
        raise CloudError(
            f"API Gateway in {cloud.region} has no CloudWatch Logs role, which the REST API's access logs need "
            "(once per account and region): create a role API Gateway may assume with the managed policy "
            "AmazonAPIGatewayPushToCloudWatchLogs, then `aws apigateway update-account --patch-operations "
            "op=replace,path=/cloudwatchRoleArn,value=ROLE_ARN`; see docs/deploy.md#the-api-stage.")


def check_tables_free(cloud: Cloud, app: App, stack: str) -> None:
    """Refuse to deploy a table or an ``s3`` function's bucket that exists outside the stack (CloudFormation
    would fail half-way): typically one a ``deploy.delete`` kept. Every one in the way is named at once."""
    existing = cloud.stack(stack)
    owned = {r.get("PhysicalResourceId") for r in cloud.stack_resources(existing["StackId"])} if existing else set()
    tables = [spec["TableName"] for spec in app.tables
              if spec["TableName"] not in owned and cloud.table_exists(spec["TableName"])]
    buckets = {bucket: function for bucket, function in app_buckets(app).items()
               if bucket not in owned and bucket_taken(cloud, bucket, function)}
    if len(tables) + len(buckets) == 1 and tables:
        raise CloudError(
            f"Table {tables[0]} already exists but is not part of stack {stack} (deploy.delete keeps tables), so "
            f"CloudFormation cannot create it: delete it if its data can go (aws dynamodb delete-table "
            f"--region {cloud.region} --table-name {tables[0]}), or give the model another table name.")
    if len(tables) + len(buckets) == 1:
        ((bucket, function),) = buckets.items()
        raise CloudError(
            f"S3 bucket {bucket} already exists but is not part of stack {stack} (deploy.delete keeps the buckets "
            f"of s3 functions), so CloudFormation cannot create it: delete it if its objects can go (aws s3 rb "
            f"--region {cloud.region} --force s3://{bucket}), or change functions.{function}.bucket in tight.yml.")
    if tables or buckets:
        names = [f"table {t}" for t in tables] + [f"S3 bucket {b}" for b in buckets]
        commands = [f"aws dynamodb delete-table --region {cloud.region} --table-name {t}" for t in tables]
        commands += [f"aws s3 rb --region {cloud.region} --force s3://{b}" for b in buckets]
        renames = ([("the models' table names" if len(tables) > 1 else "the model's table name")] if tables else [])
        renames += [f"functions.{f}.bucket" for f in buckets.values()]
        listed = f"{', '.join(names[:-1])} and {names[-1]}"
        raise CloudError(
            f"{listed[0].upper()}{listed[1:]} already exist but are not part of stack {stack} (deploy.delete "
            f"keeps them), so CloudFormation cannot create them: delete those whose data can go "
            f"({'; '.join(commands)}), or rename them ({', '.join(renames)}).")


def app_buckets(app: App) -> dict[str, str]:
    """The bucket of every ``s3`` function -> the first function naming it."""
    from .event_sources import bucket_name

    buckets: dict[str, str] = {}
    for name, settings in sorted(app.functions.items()):
        if settings.get("type") == "s3" and settings.get("bucket"):
            buckets.setdefault(bucket_name(app, str(settings["bucket"])), name)
    return buckets


def bucket_taken(cloud: Cloud, bucket: str, function: str) -> bool:
    """Whether ``bucket`` exists in this account; one of another account (names are global) is an error."""
    try:
        cloud.call("s3", "head_bucket", Bucket=bucket, ExpectedBucketOwner=cloud.account_id())
    except CloudError as exc:
        if exc.code in ("404", "NoSuchBucket", "NotFound"):
            return False
        if exc.code in ("403", "AccessDenied"):
            raise CloudError(f"S3 bucket {bucket} (functions.{function}.bucket) belongs to another AWS account: "
                             f"bucket names are global, so change functions.{function}.bucket in tight.yml.",
                             exc.code) from None
        raise
    return True


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def discard(cloud: Cloud, plan: changeset.Plan) -> None:
    """Delete an unexecuted change set, and the empty stack (REVIEW_IN_PROGRESS) a first one made."""
    cloud.call("cloudformation", "delete_change_set", ChangeSetName=plan.change_set)
    if plan.kind == "CREATE" and plan.stack_id:
        cloud.call("cloudformation", "delete_stack", StackName=plan.stack_id)


def _review_and_apply(cloud: Cloud, app: App, plan: changeset.Plan, confirm: Callable[[str], bool] | None,
                      out: Callable[[str], None]) -> str:
    """Show the plan, ask, execute and follow it; ``"UNCHANGED"`` when there is nothing to do."""
    for line in changeset.describe(plan):
        out(line)
    if plan.nothing_to_do:
        if plan.stack_id:
            summary(cloud, app, plan.stack_id, out)
        return "UNCHANGED"
    if confirm is not None and not confirm(f"Deploy these changes to {plan.stack} in {cloud.region}?"):
        discard(cloud, plan)
        raise fail(f"Not deployed: the change set was discarded and {plan.stack} is as it was.")
    return changeset.apply(cloud, plan, out)


def _interrupted(cloud: Cloud, app: App, plan: changeset.Plan) -> str:
    """What Ctrl-C did: before the change set ran, tight removes what it made; after, CloudFormation goes on."""
    if plan.executed:
        return (f"Stopped watching: CloudFormation carries on with {plan.stack}; "
                f"`tight deploy.status --stage {app.stage}` shows where it is.")
    if plan.nothing_to_do:
        return f"Stopped: {plan.stack} was already up to date; nothing changed."
    try:
        discard(cloud, plan)
    except CloudError as exc:
        return (f"Stopped before the change set ran: {plan.stack} is unchanged, but its change set could not be "
                f"removed ({exc}); delete it in the CloudFormation console.")
    made = " and the empty stack it made" if plan.kind == "CREATE" else ""
    return f"Stopped before the change set ran: nothing was deployed; removed the change set{made} ({plan.stack})."


def deploy(root: Path, settings: Mapping[str, Any], stage: str, bucket: str | None = None,
           region: str | None = None, confirm: Callable[[str], bool] | None = None,
           out: Callable[[str], None] = say, cloud_factory: Callable[..., Cloud] | None = None) -> str:
    """Create or update the stack ``<name>-<stage>``; returns the final status (or ``"UNCHANGED"``).

    ``confirm(question)`` is asked before executing (None: don't ask).
    """
    from .._pip.artifact import build_artifact

    made = make_template(root, settings, stage)
    app = made.app
    cloud = connect(region, cloud_factory)
    stack = stack_name(app.name, app.stage)
    try:
        existing = cloud.stack(stack)
        check_owner(existing, app.name, app.stage, cloud.region)
        # a nested app's functions stay in the nested stacks they are deployed in (the root, which the checks
        # below read, is the same either way: the templates are made once the code's hash is known)
        app = replace(app, placement=deployed_placement(cloud, existing))
        check_keys(cloud, existing, made.text)
        check_tables_free(cloud, app, stack)
        bucket = bucket or (settings.get("deploy") or {}).get("bucket")
        owner = None
        if bucket:  # a named bucket is only checked: before the zip is built
            bucket, owner = code_bucket(cloud, bucket, out)
        zip_path = build_artifact(root, dict(settings), echo=out)  # its refusals come before tight makes a bucket
        check_access_logging(cloud, made.text)
        if not bucket:
            bucket, owner = code_bucket(cloud, None, out)
        key = upload_code(cloud, bucket, app.name, zip_path, out, owner)
        local = cloud.local_endpoint("lambda")
        if local:
            out(f"Note: {local} is a local stand-in for AWS: versions are published, but the functions are "
                "invoked unqualified (moto's CloudFormation creates no Lambda aliases).")
        app = replace(app, code_sha256=sha256_file(zip_path), aliases=not local)
        made = render_app(app)  # versions named after the code
        text = made.text
        source, parameters = template_source(cloud, bucket, made, owner)
        plan = changeset.plan(cloud, stack, {"CodeBucket": bucket, "CodeKey": key, **parameters},
                              description=f"tight deploy of {app.name} ({app.stage})",
                              delete_hint=f"tight deploy.delete --stage {app.stage}",
                              tags=owner_tags(app.name, app.stage), **source)
        try:
            status = _review_and_apply(cloud, app, plan, confirm, out)
        except KeyboardInterrupt:
            raise fail(_interrupted(cloud, app, plan), code=130) from None
        if status == "UNCHANGED":
            return status
        out(f"Stack {stack} is {status} ({cloud.region}).")
        history.record(cloud, bucket, app.name, app.stage, key, text)  # what deploy.rollback goes back to
        summary(cloud, app, plan.stack_id or stack, out)
        return status
    except CloudError as exc:
        raise fail(str(exc)) from None
    except changeset.DeployFailed as exc:
        raise fail(str(exc)) from None


def delete(settings: Mapping[str, Any], stage: str, region: str | None = None,
           confirm: Callable[[str], bool] | None = None, out: Callable[[str], None] = say,
           cloud_factory: Callable[..., Cloud] | None = None) -> list[str]:
    """Delete the stack ``<name>-<stage>``; returns the tables it kept (DeletionPolicy: Retain)."""
    from .inputs import check_name, check_stage

    stage, name = check_stage(stage), check_name(settings)
    stack = stack_name(name, stage)
    cloud = connect(region, cloud_factory)
    try:
        existing = cloud.stack(stack)
        if existing is None:
            raise fail(f"No stack {stack} in {cloud.region}: nothing to delete.")
        check_owner(existing, name, stage, cloud.region)
        stack_id = existing["StackId"]
        resources = cloud.stack_resources(stack_id)
        tables, buckets = (sorted(r["PhysicalResourceId"] for r in resources
                                  if r.get("ResourceType") == kind and r.get("PhysicalResourceId"))
                           for kind in ("AWS::DynamoDB::Table", "AWS::S3::Bucket"))
        kept = "tables and buckets are kept" if buckets else "tables are kept"
        if confirm is not None and not confirm(f"Delete stack {stack} in {cloud.region} (its functions, API, "
                                               f"role and logs; {kept})?"):
            raise fail(f"Not deleted: stack {stack} is unchanged.")
        since = changeset.latest_event(cloud, stack_id)
        cloud.call("cloudformation", "delete_stack", StackName=stack_id)
        status, events = changeset.follow(cloud, stack_id, since, out, lambda s: not s.endswith("_IN_PROGRESS"))
    except CloudError as exc:
        raise fail(str(exc)) from None
    if status != "DELETE_COMPLETE":
        raise fail(changeset.failure_block(stack, status, events, what="Deleting"))
    out(f"Deleted stack {stack} ({cloud.region}).")
    if tables:
        out(f"Kept {plural(len(tables), 'table')} with {'its' if len(tables) == 1 else 'their'} data "
            f"(DeletionPolicy: Retain): {', '.join(tables)}")
        out(f"Delete one by hand with: aws dynamodb delete-table --region {cloud.region} --table-name {tables[0]}")
    if buckets:
        out(f"Kept {plural(len(buckets), 'bucket')} with {'its' if len(buckets) == 1 else 'their'} objects "
            f"(DeletionPolicy: Retain): {', '.join(buckets)}")
        out(f"Delete one and its objects by hand with: aws s3 rb --region {cloud.region} --force s3://{buckets[0]}")
    return tables
