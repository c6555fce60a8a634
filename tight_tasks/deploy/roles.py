"""The IAM family of the template (pure): the role the functions run as, its policy from the statements
the other families asked for, kept under IAM's size limit."""
from __future__ import annotations

import json
from typing import Any

from .parts import App, TemplateError

#: IAM's limit on a role's inline policies (characters, whitespace excluded); above it ARNs are grouped.
POLICY_LIMIT = 10240


def merge_statements(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Statements with the same effect and actions become one, their resources in order, once."""
    merged: dict[tuple, dict[str, Any]] = {}
    for statement in statements:
        key = (statement["Effect"], tuple(statement["Action"]))
        target = merged.setdefault(key, {"Effect": statement["Effect"], "Action": list(statement["Action"]),
                                         "Resource": []})
        for resource in statement["Resource"]:
            if resource not in target["Resource"]:
                target["Resource"].append(resource)
    return list(merged.values())


def _policy_size(statements: list[dict[str, Any]]) -> int:
    """Characters of the policy once CloudFormation resolved it (account, region and partition allowed for)."""
    text = json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":"))
    return len(text.replace("${AWS::Partition}", "aws-us-gov").replace("${AWS::Region}", "ap-southeast-3")
               .replace("${AWS::AccountId}", "123456789012").replace('{"Fn::Sub":', "").replace("}", ""))


def group_arns(statements: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """The statements with every table or log group named ``prefix...`` covered by one ``prefix*`` ARN."""
    grouped = []
    for statement in statements:
        resources: list[Any] = []
        for resource in statement["Resource"]:
            arn = resource.get("Fn::Sub") if isinstance(resource, dict) else None
            for marker in (":table/", ":log-group:/aws/lambda/") if isinstance(arn, str) else ():
                start = arn.find(marker) + len(marker)
                if marker in arn and arn[start:].startswith(prefix):
                    resource = {"Fn::Sub": arn[:start] + prefix + "*"}
            if resource not in resources:
                resources.append(resource)
        grouped.append({**statement, "Resource": resources})
    return grouped


def role_resource(app: App, statements: list[dict[str, Any]]) -> dict[str, Any]:
    statements = merge_statements(statements)
    if _policy_size(statements) > POLICY_LIMIT:
        statements = group_arns(statements, f"{app.name}-{app.stage}-")
        if _policy_size(statements) > POLICY_LIMIT:
            raise TemplateError(f"the functions' IAM policy would exceed IAM's {POLICY_LIMIT:,}-character limit: "
                                f"name the tables {app.name}-{app.stage}-<suffix> so one ARN covers them")
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                               "Action": "sts:AssumeRole"}],
            },
            "Policies": [{"PolicyName": f"{app.name}-{app.stage}-functions",
                          "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}],
        },
    }
