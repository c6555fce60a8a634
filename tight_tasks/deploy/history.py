"""What tight deployed to each stage, and ``tight deploy.rollback``: back to the deployment before.

Every deploy that changes a stack writes a record to the code bucket,
``tight/<app>/deployments/<stage>/<epoch ms>.json``: when, the code zip's key (``tight/<app>/<sha256>.zip``)
and the template's (``tight/<app>/templates/<stage>-<sha256>.yml``, uploaded then). The last
:data:`KEEP` records of a stage are kept with their templates; older records and the templates no
kept record names are deleted (zips never: every stage of the app shares them). ``deploy.status``
lists the records (:func:`records`); :func:`rollback` takes the stack back to the record before the
newest through a change set of that template and code, and records that as a deployment too (so a
second rollback returns to where the first started).
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..config import fail
from ..console import say
from .cloud import Cloud, CloudError

#: Deployments kept per stage.
KEEP = 5
PREFIX = "tight"


@dataclass(frozen=True)
class Record:
    key: str  # of the record itself
    time: str  # UTC, ISO 8601
    code_key: str
    template_key: str
    kind: str  # "deploy" or "rollback"

    @property
    def code(self) -> str:
        """The zip's sha256 (hex), from its key."""
        return self.code_key.rsplit("/", 1)[-1].removesuffix(".zip")


def _prefix(app_name: str, stage: str) -> str:
    return f"{PREFIX}/{app_name}/deployments/{stage}/"


def template_key(app_name: str, stage: str, text: str) -> str:
    return f"{PREFIX}/{app_name}/templates/{stage}-{hashlib.sha256(text.encode()).hexdigest()}.yml"


def records(cloud: Cloud, bucket: str, app_name: str, stage: str) -> list[Record]:
    """The stage's recorded deployments, newest first (none when the bucket does not exist)."""
    owner = cloud.account_id()
    if not cloud.bucket_exists(bucket, owner):
        return []
    keys = sorted((item["Key"] for item in cloud.pages("s3", "list_objects_v2", "Contents", Bucket=bucket,
                                                         Prefix=_prefix(app_name, stage), ExpectedBucketOwner=owner)),
                  reverse=True)
    found = []
    for key in keys:
        try:
            data = json.loads(cloud.call("s3", "get_object", Bucket=bucket, Key=key, ExpectedBucketOwner=owner)["Body"].read())
            found.append(Record(key, data["time"], data["code_key"], data["template_key"], data.get("kind", "deploy")))
        except (ValueError, KeyError, TypeError):
            continue  # not a record tight wrote: left alone
    return found


def record(cloud: Cloud, bucket: str, app_name: str, stage: str, code_key: str, text: str,
           kind: str = "deploy") -> Record:
    """Write the record of a deployment (and its template), then drop records beyond :data:`KEEP`."""
    now, owner = cloud.clock(), cloud.account_id()
    tkey = template_key(app_name, stage, text)
    if not cloud.object_exists(bucket, tkey, owner):
        cloud.upload(bucket, tkey, text.encode(), owner)
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    key = f"{_prefix(app_name, stage)}{int(now * 1000):013d}.json"
    body = {"time": when, "code_key": code_key, "template_key": tkey, "kind": kind}
    cloud.upload(bucket, key, json.dumps(body, indent=1).encode(), owner)
    kept = records(cloud, bucket, app_name, stage)
    names = {r.template_key for r in kept[:KEEP]}
    for old in kept[KEEP:]:
        cloud.call("s3", "delete_object", Bucket=bucket, Key=old.key, ExpectedBucketOwner=owner)
        if old.template_key not in names:
            cloud.call("s3", "delete_object", Bucket=bucket, Key=old.template_key, ExpectedBucketOwner=owner)
            names.add(old.template_key)  # deleted once
    return Record(key, when, code_key, tkey, kind)


def describe(found: list[Record]) -> list[str]:
    """``deploy.status``'s lines about the recorded deployments."""
    if not found:
        return ["Deployments: none recorded (tight records each deploy from now on)."]
    lines = [f"Deployments (newest first, the last {KEEP} kept; `tight deploy.rollback` goes back one):"]
    for index, item in enumerate(found):
        what = "rollback to" if item.kind == "rollback" else "deploy of"
        now = " (current)" if index == 0 else ""
        lines.append(f"  {item.time} {what} code {item.code[:12]}, template {item.template_key.rsplit('-', 1)[-1][:12]}"
                     f"{now}")
    return lines


def bucket_of(cloud: Cloud, settings: Mapping[str, Any]) -> str:
    """The code bucket deploys use: ``deploy.bucket``, else tight's own for the account and region."""
    return (settings.get("deploy") or {}).get("bucket") or f"tight-deploy-{cloud.account_id()}-{cloud.region}"


def rollback(settings: Mapping[str, Any], stage: str, region: str | None = None,
             confirm: Callable[[str], bool] | None = None, out: Callable[[str], None] = say,
             cloud_factory: Callable[..., Cloud] | None = None) -> str:
    """Take ``<name>-<stage>`` back to the deployment before the newest; returns the final status."""
    from . import changeset
    from .deployer import connect, owner_tags
    from .inputs import check_name, check_stage
    from .parts import stack_name

    stage, name = check_stage(stage), check_name(settings)
    stack = stack_name(name, stage)
    cloud = connect(region, cloud_factory)
    try:
        if cloud.stack(stack) is None:
            raise fail(f"No stack {stack} in {cloud.region}: nothing to roll back.")
        bucket = bucket_of(cloud, settings)
        found = records(cloud, bucket, name, stage)
        if len(found) < 2:
            raise fail(f"Nothing to roll back to: stage {stage} has {len(found)} recorded deployment"
                       f"{'' if len(found) == 1 else 's'} in s3://{bucket} (deploy again first).")
        target = found[1]
        out(f"Rolling {stack} back to the deployment of {target.time}: code {target.code[:12]}.")
        text = cloud.call("s3", "get_object", Bucket=bucket, Key=target.template_key,
                          ExpectedBucketOwner=cloud.account_id())["Body"].read().decode()
        nested = {"TemplateBase": cloud.object_url(bucket, f"{PREFIX}/{name}/templates")} \
            if "\n  TemplateBase:\n" in text else {}  # nested stacks: their templates stay under their sha256
        plan = changeset.plan(cloud, stack, {"CodeBucket": bucket, "CodeKey": target.code_key, **nested},
                              template_url=cloud.object_url(bucket, target.template_key),
                              description=f"tight rollback of {name} ({stage}) to {target.time}",
                              delete_hint=f"tight deploy.delete --stage {stage}", tags=owner_tags(name, stage))
        for line in changeset.describe(plan):
            out(line)
        if not plan.nothing_to_do:
            if confirm is not None and not confirm(f"Roll {stack} back in {cloud.region}?"):
                cloud.call("cloudformation", "delete_change_set", ChangeSetName=plan.change_set)
                raise fail(f"Not rolled back: the change set was discarded and {stack} is as it was.")
            status = changeset.apply(cloud, plan, out)
        else:
            status = "UNCHANGED"
        record(cloud, bucket, name, stage, target.code_key, text, kind="rollback")
        out(f"Stack {stack} is {status} ({cloud.region}): back to code {target.code[:12]}.")
        return status
    except CloudError as exc:
        raise fail(str(exc)) from None
    except changeset.DeployFailed as exc:
        raise fail(str(exc)) from None
