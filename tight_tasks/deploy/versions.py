"""Published versions, the ``live`` alias and gradual rollouts of every function (pure).

Per function :func:`versions_parts` adds an ``AWS::Lambda::Version`` whose logical id carries a digest of
the code (the zip's sha256) and of the function's configuration, as SAM's ``AutoPublishAlias`` does:
a changed zip makes a new id, so CloudFormation publishes a new version and moves the alias
``live`` to it. Everything that invokes a function (API integrations and permissions, event source
mappings, schedules, S3 notifications, Function URLs, authorizers, async invoke configs) is rewritten
to invoke the alias, never ``$LATEST``.

tight.yml:

* ``deploy.rollout``: ``all_at_once`` (default) or one of :data:`ROLLOUTS` - a CodeDeploy application,
  a deployment group per function with that deployment config and its alarms as automatic-rollback
  triggers, and the alias's ``UpdatePolicy: CodeDeployLambdaAliasUpdate``;
* ``functions.NAME.snapstart: true`` - ``SnapStart`` on published versions (python3.12 and later);
* ``functions.NAME.provisioned_concurrency: N`` - on the alias;
* ``functions.NAME.reserved_concurrency: N`` - on the function.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from .observability import alarm_ids
from .parts import PARTITION, App, Parts, TemplateError, logical_id

ALIAS = "live"
#: tight.yml's rollout names -> CodeDeploy's predefined Lambda deployment configs.
ROLLOUTS = {
    "canary10percent5minutes": "CodeDeployDefault.LambdaCanary10Percent5Minutes",
    "canary10percent30minutes": "CodeDeployDefault.LambdaCanary10Percent30Minutes",
    "linear10percentevery1minute": "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
    "linear10percentevery10minutes": "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes",
}
ALL_AT_ONCE = "all_at_once"
DEPLOY_APP, DEPLOY_ROLE = "DeployApplication", "DeployServiceRole"
#: The first runtime with SnapStart for Python.
SNAPSTART_FROM = (3, 12)


def rollout(app: App) -> str | None:
    """The CodeDeploy deployment config of ``deploy.rollout`` (None: all at once)."""
    value = str((app.deploy or {}).get("rollout") or ALL_AT_ONCE).strip().lower()
    if value == ALL_AT_ONCE:
        return None
    if value not in ROLLOUTS:
        raise TemplateError(f"deploy.rollout {value!r} is not one of {ALL_AT_ONCE}, {', '.join(ROLLOUTS)}")
    return ROLLOUTS[value]


def _check_snapstart(app: App, name: str, settings: dict[str, Any]) -> bool:
    if not settings.get("snapstart"):
        return False
    version = tuple(int(x) for x in app.runtime.removeprefix("python").split("."))
    if version < SNAPSTART_FROM:
        raise TemplateError(f"function {name!r}: snapstart needs python3.12 or later (tight.yml runtime is "
                            f"{app.runtime})")
    return True


def _digest(app: App, function: dict[str, Any]) -> str:
    """What a new version depends on: the code and the function's configuration."""
    text = json.dumps([app.code_sha256, function["Properties"]], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def alias_arn(name: str) -> dict[str, Any]:
    """The ARN of ``name``'s alias: the function's ARN qualified by :data:`ALIAS` (not a ``Ref`` of the alias,
    which moto's CloudFormation does not create; whoever uses it depends on the alias)."""
    return {"Fn::Sub": f"${{{logical_id('Function', name)}.Arn}}:{ALIAS}"}


def _rewrite(value: Any, targets: dict[str, str], found: set[str]) -> Any:
    """``value`` with every reference to a function (``Ref``, ``GetAtt .Arn``, ``${Fn.Arn}``) made one to its
    alias's ARN; ``found`` collects the aliases now referred to."""
    if isinstance(value, dict):
        single = next(iter(value)) if len(value) == 1 else None
        ref = value.get("Ref") if single == "Ref" else None
        getatt = value.get("Fn::GetAtt") if single == "Fn::GetAtt" else None
        if ref in targets or (isinstance(getatt, list) and len(getatt) == 2 and getatt[0] in targets
                              and getatt[1] == "Arn"):
            function = ref if ref in targets else getatt[0]
            found.add(targets[function])
            return {"Fn::Sub": f"${{{function}.Arn}}:{ALIAS}"}
        if single == "Fn::Sub" and isinstance(value["Fn::Sub"], str):
            text = value["Fn::Sub"]
            for function, alias in targets.items():
                if f"${{{function}.Arn}}" in text:
                    found.add(alias)
                    text = text.replace(f"${{{function}.Arn}}", f"${{{function}.Arn}}:{ALIAS}")
            return {"Fn::Sub": text}
        return {k: _rewrite(v, targets, found) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, targets, found) for v in value]
    return value


def _point_invokers_at_aliases(parts: Parts, targets: dict[str, str]) -> None:
    for key, resource in parts.resources.items():
        kind = resource["Type"]
        if kind in ("AWS::Lambda::Function", "AWS::Lambda::Version", "AWS::Lambda::Alias"):
            continue
        found: set[str] = set()
        if kind in ("AWS::Lambda::Url", "AWS::Lambda::EventInvokeConfig"):  # the function and a qualifier
            resource["Properties"]["Qualifier"] = ALIAS
            target = resource["Properties"].get("TargetFunctionArn") or resource["Properties"]["FunctionName"]
            function = target.get("Ref") or target["Fn::GetAtt"][0]
            found.add(targets[function])
        else:
            resource = parts.resources[key] = _rewrite(resource, targets, found)
        if found:
            depends = resource.get("DependsOn", [])
            resource["DependsOn"] = sorted(set([depends] if isinstance(depends, str) else depends) | found)


def _code_deploy() -> dict[str, Any]:
    service = f"{PARTITION}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda"
    return {
        DEPLOY_APP: {"Type": "AWS::CodeDeploy::Application", "Properties": {"ComputePlatform": "Lambda"}},
        DEPLOY_ROLE: {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "codedeploy.amazonaws.com"},
                "Action": "sts:AssumeRole"}]},
            "ManagedPolicyArns": [{"Fn::Sub": service}]}},
    }


def _group(app: App, name: str, config: str) -> dict[str, Any]:
    alarms = alarm_ids(app, name)
    group: dict[str, Any] = {
        "ApplicationName": {"Ref": DEPLOY_APP},
        "ServiceRoleArn": {"Fn::GetAtt": [DEPLOY_ROLE, "Arn"]},
        "DeploymentConfigName": config,
        "DeploymentStyle": {"DeploymentType": "BLUE_GREEN", "DeploymentOption": "WITH_TRAFFIC_CONTROL"},
        "AutoRollbackConfiguration": {"Enabled": True,
                                      "Events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]},
    }
    if alarms:
        group["AlarmConfiguration"] = {"Enabled": True, "Alarms": [{"Name": {"Ref": a}} for a in alarms]}
    return {"Type": "AWS::CodeDeploy::DeploymentGroup", "Properties": group}


def versions_parts(app: App, parts: Parts) -> Parts:
    """A version and the ``live`` alias per function of ``parts``, invokers rewritten to the alias (in place)."""
    config = rollout(app)
    added = Parts(_code_deploy() if config and app.functions else {})
    targets = {}
    for name in sorted(app.functions):
        settings = dict(app.functions[name])
        fn_id, alias_id = logical_id("Function", name), logical_id("Alias", name)
        function = parts.resources[fn_id]
        if _check_snapstart(app, name, settings):
            function["Properties"]["SnapStart"] = {"ApplyOn": "PublishedVersions"}
        if settings.get("reserved_concurrency") is not None:
            function["Properties"]["ReservedConcurrentExecutions"] = int(settings["reserved_concurrency"])
        version_id = logical_id("Version", name) + _digest(app, function)
        alias: dict[str, Any] = {"Type": "AWS::Lambda::Alias", "Properties": {
            "FunctionName": {"Ref": fn_id}, "FunctionVersion": {"Fn::GetAtt": [version_id, "Version"]},
            "Name": ALIAS, "Description": f"What invokes {name}: moved to each new version"}}
        if settings.get("provisioned_concurrency"):
            alias["Properties"]["ProvisionedConcurrencyConfig"] = {
                "ProvisionedConcurrentExecutions": int(settings["provisioned_concurrency"])}
        if config:
            group_id = logical_id("DeployGroup", name)
            added.resources[group_id] = _group(app, name, config)
            alias["UpdatePolicy"] = {"CodeDeployLambdaAliasUpdate": {
                "ApplicationName": {"Ref": DEPLOY_APP}, "DeploymentGroupName": {"Ref": group_id}}}
        added.resources[version_id] = {  # kept when replaced: a rollout shifts traffic from it, a rollback returns
            "Type": "AWS::Lambda::Version", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {
            "FunctionName": {"Ref": fn_id}, "Description": f"code {app.code_sha256[:12] or 'as built'}"}}
        if app.aliases:
            added.resources[alias_id] = alias
            targets[fn_id] = alias_id
    if not app.aliases:
        added.resources.pop(DEPLOY_APP, None)
        added.resources.pop(DEPLOY_ROLE, None)
        return Parts({k: v for k, v in added.resources.items() if v["Type"] == "AWS::Lambda::Version"})
    _point_invokers_at_aliases(parts, targets)
    return added
