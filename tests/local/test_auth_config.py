"""tight.yml's api:, auth: and the functions' auth/scopes/ttl/url/header: read once, one-line errors."""
from __future__ import annotations

import pytest
from conftest import run_tight

from tight.dev import auth
from tight.dev.routes import FunctionsConfigError, function_settings, routes

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf"
JWT = {"issuer": ISSUER, "audience": ["my-client-id"]}
NAMES = ["health", "orders", "admin", "gate", "café"]


def config(**changes):
    base = {"api": "http", "auth": {"default": "jwt", "jwt": dict(JWT)},
            "functions": {"health": {"auth": "none"}, "orders": {"auth": "jwt", "scopes": ["orders/read"]},
                          "admin": {"auth": "gate"}, "gate": {"type": "authorizer"}, "café": {"auth": "iam"}}}
    base.update(changes)
    return base


def test_the_issue_example_reads_back():
    data = config()
    settings = function_settings(data, NAMES)
    assert settings["gate"]["ttl"] == 300 and settings["gate"]["header"] == "Authorization"
    assert auth.api_type(data) == "http"
    assert auth.jwt_settings(data) == {"issuer": ISSUER, "audience": ["my-client-id"]}
    assert auth.rules(data, settings) == {
        "health": auth.Rule("none"), "orders": auth.Rule("jwt", None, ("orders/read",)),
        "admin": auth.Rule("authorizer", "gate"), "café": auth.Rule("iam")}
    assert "gate" not in {r.function for r in routes(data, NAMES)}  # an authorizer has no route


def test_defaults_are_rest_and_none():
    assert auth.api_type({}) == "rest"
    assert auth.rules({}, function_settings({}, ["a"])) == {"a": auth.Rule("none")}
    data = {"auth": {"default": "gate"}, "functions": {"gate": {"type": "authorizer", "ttl": 0}}}
    assert auth.rules(data, function_settings(data, ["a", "gate"])) == {"a": auth.Rule("authorizer", "gate")}


@pytest.mark.parametrize("change, words", [
    ({"api": "graphql"}, "api 'graphql' is not one of rest"),
    ({"auth": {"default": "jwtt", "jwt": JWT}}, "auth.default 'jwtt' is not none, jwt, iam or an authorizer"),
    ({"auth": {"default": "none", "oidc": {}}}, "auth: unknown key oidc"),
    ({"auth": "jwt"}, "auth must be a mapping"),
    ({"auth": {"default": "jwt"}}, "auth: jwt needs auth.jwt with an issuer"),
    ({"auth": {"jwt": {"audience": ["x"]}}}, "auth.jwt needs an issuer"),
    ({"auth": {"jwt": {"issuer": "http://evil.example.com", "audience": ["x"]}}}, "must be an https:// URL"),
    ({"auth": {"jwt": {"issuer": ISSUER}}}, "auth.jwt.audience must list"),
    ({"auth": {"jwt": {"issuer": ISSUER, "audience": ["x"], "alg": "none"}}}, "auth.jwt: unknown key alg"),
])
def test_bad_top_level_settings(change, words):
    with pytest.raises(FunctionsConfigError, match=None) as caught:
        function_settings(config(**change), NAMES)
    assert words in str(caught.value)


@pytest.mark.parametrize("name, entry, words", [
    ("admin", {"auth": "orders"}, "auth 'orders' is not none, jwt, iam or an authorizer function (gate)"),
    ("orders", {"auth": "iam", "scopes": ["a"]}, "scopes apply to auth: jwt only (its auth is iam)"),
    ("orders", {"auth": "jwt", "scopes": [""]}, "scopes must be a list of scope names"),
    ("gate", {"type": "authorizer", "ttl": 3601}, "ttl must be a whole number of seconds from 0"),
    ("gate", {"type": "authorizer", "ttl": True}, "ttl must be a whole number"),
    ("gate", {"type": "authorizer", "header": "X Bad"}, "header 'X Bad' must be one HTTP header name"),
    ("gate", {"type": "authorizer", "auth": "jwt"}, "auth applies to type lambda_proxy"),
    ("health", {"ttl": 5}, "ttl applies to type authorizer"),
    ("health", {"url": "open"}, "url 'open' is not public"),
    ("orders", {"auth": "jwt", "url": "public"}, "url: public would let anyone call it around its auth (jwt)"),
    ("admin", {"url": "public"}, "around its auth (jwt): use url: iam, or auth: none"),  # auth.default: jwt
])
def test_bad_function_settings_name_the_function(name, entry, words):
    data = config()
    data["functions"][name] = entry
    with pytest.raises(FunctionsConfigError) as caught:
        function_settings(data, NAMES)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_local_http_issuer_is_accepted_here():
    data = config(auth={"jwt": {"issuer": "http://127.0.0.1:8123", "audience": "c"}})
    assert auth.jwt_settings(data) == {"issuer": "http://127.0.0.1:8123", "audience": ["c"]}
    assert auth.is_local_issuer("http://localhost:9/x") and not auth.is_local_issuer(ISSUER)
    assert auth.cognito_pool(ISSUER) == ("us-east-1", "us-east-1_AbCdEf")
    assert auth.cognito_pool("https://login.example.com") is None


def test_every_command_reads_it_as_one_line(tmp_path):
    (tmp_path / "tight.yml").write_text("name: svc\nauth:\n  default: gate\n", encoding="utf-8")
    result = run_tight("env.show", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "auth.default 'gate' is not none, jwt, iam" in lines[0], result.stderr


def test_local_token_needs_auth_jwt_and_sane_flags(tmp_path):
    (tmp_path / "tight.yml").write_text("name: svc\n", encoding="utf-8")
    result = run_tight("local.token", cwd=tmp_path)
    assert result.returncode == 1 and "tight.yml has no auth.jwt" in result.stderr
    (tmp_path / "tight.yml").write_text(f"name: svc\nauth:\n  jwt: {{issuer: {ISSUER}, audience: c}}\n")
    for flags, words in ((["--expires-in", "0"], "must be from 1 to 86400"), (["--claim", "x"], "name=value")):
        result = run_tight("local.token", *flags, cwd=tmp_path)
        assert result.returncode == 2 and words in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / ".tight-local-key.pem").exists()
