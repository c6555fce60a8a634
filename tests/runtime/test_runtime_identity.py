"""request.claims / scopes / authorizer from real-shaped events, and the authorizer controller's answers."""
from __future__ import annotations

import json
import logging
import sys
import types

import pytest
from aws_events import load

from tight.providers.aws.controllers import authorizer, registry
from tight.providers.aws.events.http import Request

COGNITO_CLAIMS = {  # REST Cognito user pool authorizers pass every claim as text
    "sub": "c0ffee00-1234-4abc-9def-001122334455", "cognito:groups": "admins", "email_verified": "true",
    "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf", "cognito:username": "ada",
    "aud": "3n4b5urk1ft4fl3mg5e62ve9h", "token_use": "id", "auth_time": "1773306800",
    "exp": "Thu Mar 12 10:14:27 UTC 2026", "iat": "Thu Mar 12 09:14:27 UTC 2026", "email": "ada@example.com",
}
IAM_V2 = {"accessKey": "ASIAEXAMPLE123", "accountId": "111122223333", "callerId": "AROAEXAMPLE:ada",
          "cognitoIdentity": None, "principalOrgId": "o-abc123",
          "userArn": "arn:aws:sts::111122223333:assumed-role/dev/ada", "userId": "AROAEXAMPLE:ada"}


def test_http_api_jwt_claims_and_scopes():
    request = Request(load("http_api_v2"))
    assert request.claims == {"sub": "c0ffee00-1234-4abc-9def-001122334455", "iss": "https://issuer.example.com",
                              "aud": "my-app"}
    assert request.scopes == ["accounts:write"]
    assert request.authorizer == {}
    assert request.principal_id == "c0ffee00-1234-4abc-9def-001122334455"


def test_http_api_jwt_without_scopes_reads_the_scope_claim():
    event = load("http_api_v2")
    event["requestContext"]["authorizer"]["jwt"] = {"claims": {"sub": "u", "scope": "orders/read openid"},
                                                    "scopes": None}
    assert Request(event).scopes == ["orders/read", "openid"]


def test_rest_cognito_claims():
    event = load("rest_v1")
    event["requestContext"]["authorizer"] = {"claims": COGNITO_CLAIMS}
    request = Request(event)
    assert request.claims == COGNITO_CLAIMS
    assert request.scopes == []
    assert request.authorizer == {}
    assert request.principal_id == COGNITO_CLAIMS["sub"]  # as an HTTP API's JWT authorizer gives it


def test_rest_lambda_authorizer_context_without_bookkeeping():
    request = Request(load("rest_v1"))  # principalId user|7f3e, integrationLatency 12, role admin
    assert request.authorizer == {"role": "admin"}
    assert request.claims == {}
    assert request.principal_id == "user|7f3e"


def test_http_api_lambda_authorizer_context():
    event = load("http_api_v2")
    event["requestContext"]["authorizer"] = {"lambda": {"tenant": "t1", "principalId": "user-1", "n": 3}}
    request = Request(event)
    assert request.authorizer == {"tenant": "t1", "principalId": "user-1", "n": 3}
    assert request.claims == {} and request.scopes == []
    assert request.principal_id == "user-1"


@pytest.mark.parametrize("source", ["http_api_v2", "function_url"])
def test_iam_identity_on_http_apis_and_function_urls(source):
    event = load(source)
    event["requestContext"]["authorizer"] = {"iam": IAM_V2}
    request = Request(event)
    assert request.authorizer == IAM_V2
    assert request.principal_id == IAM_V2["userArn"]


def test_iam_identity_on_rest():
    event = load("rest_v1")
    event["requestContext"]["authorizer"] = None
    event["requestContext"]["identity"].update(accessKey="ASIAEXAMPLE123", accountId="111122223333",
                                               caller="AROAEXAMPLE:ada", user="AROAEXAMPLE:ada",
                                               userArn="arn:aws:sts::111122223333:assumed-role/dev/ada")
    assert Request(event).authorizer == {
        "accessKey": "ASIAEXAMPLE123", "accountId": "111122223333", "caller": "AROAEXAMPLE:ada",
        "user": "AROAEXAMPLE:ada", "userArn": "arn:aws:sts::111122223333:assumed-role/dev/ada"}
    assert Request(event).principal_id == "arn:aws:sts::111122223333:assumed-role/dev/ada"  # as on HTTP APIs


@pytest.mark.parametrize("source", ["rest_v1", "http_api_v2", "function_url", "alb_single"])
def test_no_authorizer_is_empty(source):
    event = load(source)
    event.get("requestContext", {}).pop("authorizer", None)
    request = Request(event)
    assert (request.claims, request.scopes, request.authorizer, request.principal_id) == ({}, [], {}, None)


# -- the authorizer controller --------------------------------------------------------------

@pytest.fixture
def gate():
    """A handler module app.functions.gate.handler with an @authorizer.handler (unregistered afterwards)."""
    module = types.ModuleType("app.functions.gate.handler")
    seen = []

    def check(request):
        seen.append(request)
        if request.token == "Bearer allow-me" or request.headers.get("x-api-key") == "k-123":
            return authorizer.allow("user-1", context={"tenant": "t1", "roles": ["a", "b"], "n": 2})
        return authorizer.deny()

    check.__module__ = module.__name__
    authorizer.handler(check)
    sys.modules[module.__name__] = module
    yield seen
    sys.modules.pop(module.__name__, None)
    registry.forget("gate")
    authorizer._HANDLERS.pop("gate", None)


STAGE_ARN = "arn:aws:execute-api:eu-west-1:111122223333:r4nd0m1d/dev/*"


def test_rest_token_event_gets_a_stage_wide_allow_policy(gate):
    answer = authorizer.dispatch("gate", load("authorizer_token"))
    assert answer == {
        "principalId": "user-1",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": STAGE_ARN}]},
        "context": {"tenant": "t1", "roles": '["a", "b"]', "n": 2},
    }
    assert gate[0].kind == "TOKEN" and gate[0].token == "Bearer allow-me"
    assert registry.source("gate") == "authorizer"


def test_rest_request_event_reads_headers_query_and_path(gate):
    event = load("authorizer_request_v1")
    event["headers"]["Authorization"] = event["multiValueHeaders"]["Authorization"][0] = "Bearer nope"
    answer = authorizer.dispatch("gate", event)
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"  # by x-api-key
    request = gate[0]
    assert (request.kind, request.method, request.path, request.query, request.path_parameters) == (
        "REQUEST", "POST", "/accounts/42", {"tenant": "t1"}, {"id": "42"})
    assert request.arn == event["methodArn"]


def test_rest_deny_policy_has_no_context(gate):
    event = load("authorizer_token", authorizationToken="Bearer nope")
    assert authorizer.dispatch("gate", event) == {
        "principalId": "anonymous",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": STAGE_ARN}]}}


def test_http_api_event_gets_a_simple_response(gate):
    answer = authorizer.dispatch("gate", load("authorizer_request_v2"))
    assert answer == {"isAuthorized": True,
                      "context": {"tenant": "t1", "roles": ["a", "b"], "n": 2, "principalId": "user-1"}}
    event = load("authorizer_request_v2", identitySource=["Bearer nope"])
    event["headers"].pop("x-api-key")
    assert authorizer.dispatch("gate", event) == {"isAuthorized": False, "context": {}}


def test_a_crash_or_a_stray_return_value_denies(gate, caplog):
    def broken(request):
        raise RuntimeError("boom")

    authorizer._HANDLERS["gate"] = broken
    with caplog.at_level(logging.ERROR):
        assert authorizer.dispatch("gate", load("authorizer_request_v2"))["isAuthorized"] is False
    authorizer._HANDLERS["gate"] = lambda request: True
    assert authorizer.dispatch("gate", load("authorizer_token"))["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert "not authorizer.allow" in caplog.text and "boom" in caplog.text


def test_a_non_authorizer_event_fails_the_invocation(gate):
    from tight.providers.aws.controllers.records import NoHandler, WrongEventType

    with pytest.raises(WrongEventType, match="handles API Gateway authorizer events, but got"):
        authorizer.dispatch("gate", {"Records": []})
    with pytest.raises(NoHandler):
        authorizer.dispatch("nobody", load("authorizer_token"))


def test_stage_arn_keeps_api_and_stage():
    assert authorizer.stage_arn("arn:aws:execute-api:us-east-1:1:abc/$default/GET/a/b") == \
        "arn:aws:execute-api:us-east-1:1:abc/$default/*"
    assert authorizer.stage_arn(None) == "*"
    assert json.dumps(authorizer.answer(authorizer.allow("u"), {"methodArn": "weird"}))
