"""Authorizer answers, caller identity and argument injection, called directly on real-shaped events."""
from __future__ import annotations

import datetime
import functools
import itertools
import logging

import pytest
from aws_events import load

from tight.providers.aws.controllers import arguments, authorizer, records, registry
from tight.providers.aws.controllers.authorizer import (
    AuthorizerRequest,
    Decision,
    answer,
    stage_arn,
)
from tight.providers.aws.controllers.records import NoHandler, WrongEventType
from tight.providers.aws.controllers.registry import SourceConflict
from tight.providers.aws.events import identity

_counter = itertools.count()
STAGE = "arn:aws:execute-api:eu-west-1:111122223333:r4nd0m1d/dev/*"
IAM_REST = {"accessKey": "ASIAEXAMPLE123", "accountId": "111122223333", "caller": "AROAEXAMPLE:ada",
            "user": "AROAEXAMPLE:ada", "userArn": "arn:aws:sts::111122223333:assumed-role/dev/ada",
            "principalOrgId": "o-abc123", "cognitoIdentityId": "eu-west-1:1234",
            "cognitoIdentityPoolId": "eu-west-1:pool", "cognitoAuthenticationType": "authenticated",
            "cognitoAuthenticationProvider": "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC"}


def _with_authorizer(name: str, value) -> dict:
    event = load(name)
    event["requestContext"]["authorizer"] = value
    return event


# -- identity: claims, scopes, authorizer context -------------------------------------------------------------

def test_identity_constants():
    assert identity.BOOKKEEPING == {"principalId", "integrationLatency", "claims"}
    assert identity.IAM_FIELDS == tuple(IAM_REST)


def test_claims_of_each_source():
    jwt = {"sub": "s-1", "scope": "a b"}
    assert identity.claims(_with_authorizer("http_api_v2", {"jwt": {"claims": jwt, "scopes": None}})) == jwt
    assert identity.claims(_with_authorizer("rest_v1", {"claims": {"sub": "s-2"}})) == {"sub": "s-2"}
    both = {"jwt": {"claims": jwt}, "claims": {"sub": "s-2"}}
    assert identity.claims(_with_authorizer("http_api_v2", both)) == jwt
    assert identity.claims(_with_authorizer("http_api_v2", {"jwt": {"claims": {}}, "claims": {"sub": "s-2"}})) == {
        "sub": "s-2"}
    assert identity.claims(_with_authorizer("rest_v1", None)) == {}
    assert identity.claims({"requestContext": "odd"}) == {}
    found = identity.claims(_with_authorizer("http_api_v2", {"jwt": {"claims": jwt}}))
    found["sub"] = "changed"
    assert jwt["sub"] == "s-1"


@pytest.mark.parametrize("authorizer_value, scopes", [
    ({"jwt": {"claims": {"scope": "ignored"}, "scopes": ["a:read", 7]}}, ["a:read", "7"]),
    ({"jwt": {"claims": {"scope": "a:read  a:write"}, "scopes": None}}, ["a:read", "a:write"]),
    ({"jwt": {"claims": {"scp": ["x", 1]}, "scopes": None}}, ["x", "1"]),
    ({"jwt": {"claims": {"scp": "x y"}}}, ["x", "y"]),
    ({"jwt": {"claims": {"scope": "", "scp": "x"}}}, []),
    ({"claims": {"scope": "openid email"}}, ["openid", "email"]),
    ({"jwt": {"claims": {"sub": "s"}, "scopes": []}}, []),
    ({"jwt": {"claims": {"sub": "s"}}}, []),
    (None, []),
])
def test_scopes(authorizer_value, scopes):
    assert identity.scopes(_with_authorizer("http_api_v2", authorizer_value)) == scopes


def test_authorizer_context_of_each_source():
    lambda_context = {"principalId": "p", "tenant": "t1", "n": 2}
    found = identity.authorizer_context(_with_authorizer("http_api_v2", {"lambda": lambda_context}))
    assert found == lambda_context and found is not lambda_context
    iam = {"accessKey": "ASIA", "userArn": "arn:aws:iam::1:user/ada"}
    assert identity.authorizer_context(_with_authorizer("function_url", {"iam": iam})) == iam
    assert identity.authorizer_context(_with_authorizer("http_api_v2", {"lambda": None, "iam": iam})) == {}
    assert identity.authorizer_context(_with_authorizer("http_api_v2", {"iam": None})) == {}
    rest = {"principalId": "p", "integrationLatency": 12, "claims": {"sub": "s"}, "role": "admin", 3: "x"}
    assert identity.authorizer_context(_with_authorizer("rest_v1", rest)) == {"role": "admin", "3": "x"}
    assert identity.authorizer_context(_with_authorizer("http_api_v2", {"jwt": {"claims": {}}, "role": "x"})) == {}
    assert identity.authorizer_context(load("rest_v1")) == {"role": "admin"}


def test_rest_iam_caller_comes_from_the_identity():
    event = _with_authorizer("rest_v1", {"principalId": "p", "integrationLatency": 0})
    event["requestContext"]["identity"].update(IAM_REST, sourceIp="198.51.100.23", apiKey="k")
    assert identity.authorizer_context(event) == IAM_REST
    assert list(identity.authorizer_context(event)) == list(IAM_REST)
    only_arn = _with_authorizer("rest_v1", None)
    only_arn["requestContext"]["identity"]["userArn"] = "arn:aws:iam::1:user/ada"
    assert identity.authorizer_context(only_arn) == {"userArn": "arn:aws:iam::1:user/ada"}
    only_key = _with_authorizer("rest_v1", {"integrationLatency": 0})
    only_key["requestContext"]["identity"]["accessKey"] = "AKIA"
    assert identity.authorizer_context(only_key) == {"accessKey": "AKIA"}
    assert identity.authorizer_context(_with_authorizer("rest_v1", None)) == {}
    assert identity.authorizer_context({}) == {}


# -- authorizer: decisions, requests, answers -------------------------------------------------------------------

def test_decisions():
    context = {"tenant": "t1"}
    granted = authorizer.allow(42, context)
    assert (granted.allowed, granted.principal, granted.context) == (True, "42", {"tenant": "t1"})
    assert granted.context is not context and repr(granted) == "<allow '42'>"
    refused = authorizer.deny()
    assert (refused.allowed, refused.principal, refused.context, repr(refused)) == (
        False, "anonymous", {}, "<deny 'anonymous'>")
    assert authorizer.deny("u-9").principal == "u-9" and authorizer.allow("u").context == {}
    assert authorizer.SOURCE == "authorizer"


def test_authorizer_request_of_each_event():
    token = AuthorizerRequest(load("authorizer_token"))
    assert (token.kind, token.token, token.arn) == (
        "TOKEN", "Bearer allow-me", "arn:aws:execute-api:eu-west-1:111122223333:r4nd0m1d/dev/GET/accounts/42")
    rest = AuthorizerRequest(load("authorizer_request_v1"))
    assert (rest.kind, rest.token, rest.method, rest.source) == ("REQUEST", "Bearer allow-me", "POST", "rest")
    http_api = AuthorizerRequest(load("authorizer_request_v2", identitySource=["k-123", "Bearer other"]))
    assert (http_api.kind, http_api.token, http_api.source) == ("REQUEST", "k-123", "http-api")
    assert http_api.arn == "arn:aws:execute-api:eu-west-1:111122223333:h7tp4p1d/$default/POST/accounts/42"
    assert http_api.cookies == {"session": "abc123"} and http_api.query == {"tenant": "t1"}


def test_authorizer_request_fallbacks():
    assert AuthorizerRequest({"type": "token", "authorizationToken": ""}).kind == "TOKEN"
    assert AuthorizerRequest({"type": "token", "authorizationToken": ""}).token == ""
    assert AuthorizerRequest({"authorizationToken": 5}).token == "5"
    assert AuthorizerRequest({}).kind == "REQUEST" and AuthorizerRequest({}).token is None
    assert AuthorizerRequest({}).arn is None
    no_sources = load("authorizer_request_v2", identitySource=[])
    no_sources["headers"]["authorization"] = "Bearer header"
    assert AuthorizerRequest(no_sources).token == "Bearer header"
    odd = load("authorizer_request_v2", identitySource="Bearer text")
    assert AuthorizerRequest(odd).token == "Bearer allow-me"
    assert AuthorizerRequest({"identitySource": [7]}).token == "7"


@pytest.mark.parametrize("arn, expected", [
    ("arn:aws:execute-api:eu-west-1:111122223333:r4nd0m1d/dev/GET/accounts/42", STAGE),
    ("arn:aws:execute-api:us-east-1:1:abc/$default/*", "arn:aws:execute-api:us-east-1:1:abc/$default/*"),
    ("arn:aws:execute-api:us-east-1:1:abc/prod", "arn:aws:execute-api:us-east-1:1:abc/prod/*"),
    ("arn:aws:execute-api:us-east-1:1:abc", "arn:aws:execute-api:us-east-1:1:abc"),
    ("arn:aws:lambda:us-east-1:1:function/a/b", "arn:aws:lambda:us-east-1:1:function/a/b"),
    ("arn:aws:execute-api:us-east-1:1:abc/dev/GET/a:execute-api:b", "arn:aws:execute-api:us-east-1:1:abc/dev/*"),
    (None, "*"), ("", "*"),
])
def test_stage_arn(arn, expected):
    assert stage_arn(arn) == expected


def test_rest_context_values_are_text_numbers_or_booleans():
    context = {"s": "t", "i": 2, "f": 0.5, "b": False, "none": None, "list": ["a", 1], "map": {"k": None},
               "when": datetime.date(2026, 3, 12), 7: "seven"}
    assert authorizer._rest_context(context) == {"s": "t", "i": 2, "f": 0.5, "b": False, "list": '["a", 1]',
                                                 "map": '{"k": null}', "when": '"2026-03-12"', "7": "seven"}


def test_rest_answers():
    event = load("authorizer_request_v1")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": STAGE}]}
    assert answer(authorizer.allow("u-1"), event) == {"principalId": "u-1", "policyDocument": policy}
    assert answer(authorizer.allow("u-1", {"tenant": "t1", "gone": None}), event) == {
        "principalId": "u-1", "policyDocument": policy, "context": {"tenant": "t1"}}
    denied = answer(Decision(False, "u-2", {"tenant": "t1"}), event)
    assert denied == {"principalId": "u-2", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": STAGE}]}}
    routed = {"routeArn": "arn:aws:execute-api:eu-west-1:1:api/dev/GET/x", "version": "1.0"}
    assert answer(authorizer.deny(), routed)["policyDocument"]["Statement"][0]["Resource"] == "*"


def test_http_api_simple_answers():
    event = load("authorizer_request_v2")
    assert answer(authorizer.allow("u-1", {"tenant": "t1", "principalId": "spoofed", "list": [1]}), event) == {
        "isAuthorized": True, "context": {"tenant": "t1", "principalId": "u-1", "list": [1]}}
    assert answer(authorizer.allow("u-1"), event) == {"isAuthorized": True, "context": {"principalId": "u-1"}}
    assert answer(Decision(False, "u-2", {"tenant": "t1"}), event) == {"isAuthorized": False, "context": {}}


@pytest.fixture
def gate():
    """A fresh authorizer controller; ``gate(function)`` registers function as its handler module would."""
    name = f"gate_{next(_counter)}"

    def register(function):
        function.__module__ = f"app.functions.{name}.handler"
        return authorizer.handler(function)

    register.name = name
    yield register
    registry.forget(name)
    authorizer._HANDLERS.pop(name, None)


def test_dispatch_passes_what_the_handler_names(gate):
    seen = {}

    def check(request, event, context):
        seen.update(request=request, event=event, context=context)
        return authorizer.allow("u-1", {"tenant": "t1"})

    assert gate(check) is check
    assert registry.source(gate.name) == "authorizer" and authorizer._HANDLERS[gate.name] is check
    event = load("authorizer_request_v2")
    assert authorizer.dispatch(gate.name, event, "ctx") == {
        "isAuthorized": True, "context": {"tenant": "t1", "principalId": "u-1"}}
    assert type(seen["request"]) is AuthorizerRequest and seen["request"].event is event
    assert (seen["event"], seen["context"], seen["request"].context) == (event, "ctx", "ctx")
    assert authorizer.handler.__name__ == "handler"


def test_dispatch_accepts_any_authorizer_event(gate):
    gate(lambda request: authorizer.allow(request.kind))
    assert authorizer.dispatch(gate.name, {"type": "REQUEST"}) == {
        "principalId": "REQUEST", "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}]}}
    assert authorizer.dispatch(gate.name, {"routeArn": "arn:x", "version": "2.0"})["isAuthorized"] is True
    assert authorizer.dispatch(gate.name, load("authorizer_token"))["principalId"] == "TOKEN"
    only_arn = {"methodArn": "arn:aws:execute-api:eu-west-1:111122223333:r4nd0m1d/dev/GET/accounts/42"}
    assert authorizer.dispatch(gate.name, only_arn)["policyDocument"]["Statement"][0]["Resource"] == STAGE


@pytest.mark.parametrize("event, described", [
    ({"Records": []}, "an unrecognised event (keys: Records)"),
    ({"methodArn": "", "routeArn": None, "type": ""}, "an unrecognised event (keys: methodArn, routeArn, type)"),
    (["x"], "a list, not an event object"), (None, "a NoneType, not an event object")])
def test_dispatch_refuses_other_events(gate, event, described, caplog):
    gate(lambda: authorizer.allow("u"))
    with caplog.at_level(logging.ERROR, logger="tight.events"), pytest.raises(WrongEventType) as caught:
        authorizer.dispatch(gate.name, event)
    assert str(caught.value) == (f"function '{gate.name}' handles API Gateway authorizer events, but got {described}: "
                                 f"check what triggers it (tight.yml functions.{gate.name}.type); the invocation "
                                 "fails so the event is retried")
    assert [r.getMessage() for r in caplog.records] == [str(caught.value)]


def test_dispatch_without_a_handler(caplog):
    with caplog.at_level(logging.ERROR, logger="tight.events"), pytest.raises(NoHandler) as caught:
        authorizer.dispatch("nobody_here", load("authorizer_token"))
    assert str(caught.value) == "function 'nobody_here' has no authorizer handler registered; the invocation fails"


def test_a_crash_denies_with_its_trace_logged(gate, caplog):
    def check(request):
        raise RuntimeError("boom")

    gate(check)
    with caplog.at_level(logging.ERROR, logger="tight.events"):
        assert authorizer.dispatch(gate.name, load("authorizer_request_v2")) == {"isAuthorized": False, "context": {}}
    assert [(r.name, r.getMessage(), r.exc_info[1].args) for r in caplog.records] == [
        ("tight.events", f"authorizer '{gate.name}' failed: denying", ("boom",))]


@pytest.mark.parametrize("returned, type_name", [(True, "bool"), (None, "NoneType"), ({"isAuthorized": True}, "dict")])
def test_a_stray_return_value_denies(gate, caplog, returned, type_name):
    gate(lambda request: returned)
    with caplog.at_level(logging.ERROR, logger="tight.events"):
        result = authorizer.dispatch(gate.name, load("authorizer_token"))
    assert result == {"principalId": "anonymous", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": STAGE}]}}
    assert [(r.levelname, r.getMessage(), r.exc_info) for r in caplog.records] == [
        ("ERROR", (f"authorizer '{gate.name}' returned '{type_name}', not authorizer.allow(...) or authorizer.deny(): "
                  "denying"), None)]


# -- records.decorator: what every non-HTTP source's decorator is made of ------------------------------------

def test_a_source_decorator_registers_one_handler_per_controller():
    handlers, name = {}, f"deco_{next(_counter)}"

    def dispatch(controller, event, context=None):
        return None

    decorate = records.decorator("queue", handlers, dispatch, "message")
    assert (decorate.__name__, decorate.__qualname__) == ("message", "message")
    assert decorate.__doc__ == "Register the decorated function as its controller's queue handler."

    def consume(body):
        return body

    consume.__module__ = f"app.functions.{name}.handler"
    try:
        assert decorate(consume) is consume
        assert handlers == {name: consume}
        assert (registry.source(name), registry.dispatcher(name)) == ("queue", dispatch)
        assert decorate(consume) is consume  # the module imported again: the same function, no conflict

        def other(body):
            return None

        other.__module__ = consume.__module__
        with pytest.raises(SourceConflict) as caught:
            decorate(other)
        assert str(caught.value) == (
            f"app/functions/{name} has two queue handlers (test_a_source_decorator_registers_one_handler_per_"
            "controller.<locals>.consume and test_a_source_decorator_registers_one_handler_per_controller.<locals>."
            "other): a function has one; call one from the other")
        assert handlers == {name: consume}
    finally:
        registry.forget(name)


# -- arguments: which keyword arguments a handler takes ------------------------------------------------------

def test_accepted_reads_the_code():
    def plain(a, /, b, *rest, c, d=1, **_none_here):
        return None

    def named(b, *rest, c, d=1):
        local = 1
        return local

    assert arguments.accepted(plain) is None
    assert arguments.accepted(named) == {"b", "c", "d"}
    assert arguments._ACCEPTS[named] == {"b", "c", "d"}
    assert arguments.accepted(lambda: None) == frozenset()
    assert arguments.accepted(lambda x, /: None) == frozenset()


def test_accepted_is_cached_per_function():
    def handler(**kwargs):
        return None

    arguments._ACCEPTS[handler] = frozenset({"request"})
    assert arguments.accepted(handler) == {"request"}


def test_accepted_follows_wrappers_and_callables():
    def inner(request, event):
        return None

    @functools.wraps(inner)
    def wrapper(*args, **kwargs):
        return inner(*args, **kwargs)

    class Handler:
        def __call__(self, body, /, context, *, principal_id):
            return None

    def keywords(**kwargs):
        return None

    assert arguments.accepted(wrapper) == {"request", "event"}
    assert arguments.accepted(Handler()) == {"context", "principal_id"}
    assert arguments.accepted(functools.partial(inner, "r")) == {"event"}
    assert arguments.accepted(functools.wraps(keywords)(lambda *a: None)) is None
    assert arguments.accepted(min) is None  # no signature: everything
    assert arguments._signature_names(5) is None
    assert arguments._signature_names(functools.partial(keywords)) is None
