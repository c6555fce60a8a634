"""Function URLs (``functions.NAME.url: public | iam`` in tight.yml) in the template (pure: no I/O).

``public``: an ``AWS::Lambda::Url`` with ``AuthType: NONE`` and the permission letting anyone
call it (``lambda:InvokeFunctionUrl`` and, as AWS requires of URLs made since October 2025,
``lambda:InvokeFunction`` through the URL only); ``iam``: ``AuthType: AWS_IAM``, callers need
their own IAM permission (nothing is granted here). Events arrive in the 2.0 shape. The URL is
read back after deploy (moto skips ``AWS::Lambda::Url``, so it is not a stack output).
"""
from __future__ import annotations

from typing import Any

from .parts import App, Parts, logical_id


def _function_arn(function: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id("Function", function), "Arn"]}


def function_urls_family(app: App) -> Parts:
    parts = Parts()
    for name in sorted(app.functions):
        kind = app.functions[name].get("url")
        if kind is None:
            continue
        parts.resources[logical_id("LambdaUrl", name)] = {"Type": "AWS::Lambda::Url", "Properties": {
            "TargetFunctionArn": _function_arn(name), "AuthType": "NONE" if kind == "public" else "AWS_IAM"}}
        if kind == "public":
            parts.resources[logical_id("UrlPublic", name)] = {"Type": "AWS::Lambda::Permission", "Properties": {
                "Action": "lambda:InvokeFunctionUrl", "Principal": "*", "FunctionUrlAuthType": "NONE",
                "FunctionName": _function_arn(name)}}
            parts.resources[logical_id("UrlInvoke", name)] = {"Type": "AWS::Lambda::Permission", "Properties": {
                "Action": "lambda:InvokeFunction", "Principal": "*", "InvokedViaFunctionUrl": True,
                "FunctionName": _function_arn(name)}}
    return parts
