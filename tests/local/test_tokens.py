"""The JWT pieces of local.serve without a server: discovery failures, local tokens, REST policies."""
from __future__ import annotations

import time

import jwt
import pytest
from conftest import free_port

from tight_tasks.local.guard import deploy_notes, policy_allows, text_claims
from tight_tasks.local.tokens import (
    KEY_FILE,
    TokenRefused,
    Verifier,
    issue,
    unverified_header,
)

JWT = {"issuer": "https://login.example.com/", "audience": ["web", "cli"]}
ARN = "arn:aws:execute-api:us-east-1:123456789012:local/dev/GET/orders/7"


def test_local_tokens_carry_the_claims_asked_for(tmp_path):
    token = issue(tmp_path, JWT, sub="ada", scopes=["a/read", "b"], claims={"tenant": "t1", "n": 3},
                  expires_in=60, now=1_800_000_000)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == "https://login.example.com/" and claims["aud"] == "web"
    assert (claims["sub"], claims["scope"], claims["tenant"], claims["n"]) == ("ada", "a/read b", "t1", 3)
    assert claims["exp"] - claims["iat"] == 60
    assert unverified_header(token)["kid"].startswith("tight-local-")
    assert (tmp_path / KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert Verifier(JWT, tmp_path).verify(issue(tmp_path, JWT, scopes=["b"]), ("b",))["sub"] == "local-user"


def test_checking_tokens_never_makes_a_key(tmp_path):
    with pytest.raises(TokenRefused):
        Verifier(JWT, tmp_path).verify("eyJhbGciOiJSUzI1NiJ9.e30.x")
    assert not (tmp_path / KEY_FILE).exists()


def test_an_unreachable_issuer_refuses_with_the_reason(tmp_path):
    verifier = Verifier({"issuer": f"http://127.0.0.1:{free_port()}", "audience": ["web"]}, tmp_path, timeout=2)
    token = jwt.encode({"iss": verifier.issuer, "aud": "web", "exp": time.time() + 60}, "k" * 32,
                       algorithm="HS256", headers={"kid": "x"})
    with pytest.raises(TokenRefused, match="not accepted"):  # HS256: refused before any network
        verifier.verify(token)
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode({"iss": verifier.issuer, "aud": "web", "exp": time.time() + 60}, key, algorithm="RS256",
                       headers={"kid": "x"})
    with pytest.raises(TokenRefused, match=r"cannot read http://127\.0\.0\.1:\d+/\.well-known/openid-configuration"):
        verifier.verify(token)


@pytest.mark.parametrize("text", ["", "a.b", "!!!.b.c", "eyJ4IjogMX0", "WzFd.e30.x"])
def test_malformed_tokens(text):
    with pytest.raises(TokenRefused):
        unverified_header(text)


def policy(*statements):
    return {"principalId": "u", "policyDocument": {"Version": "2012-10-17", "Statement": list(statements)}}


def test_rest_policies_are_read_as_api_gateway_does():
    stage = "arn:aws:execute-api:us-east-1:123456789012:local/dev/*"
    assert policy_allows(policy({"Effect": "Allow", "Resource": stage}), ARN) == (True, None)
    assert policy_allows(policy({"Effect": "Allow", "Resource": ARN.replace("orders/7", "users")}), ARN) == (False, None)
    assert policy_allows(policy({"Effect": "Allow", "Resource": [stage]},
                                {"Effect": "Deny", "Resource": ARN}), ARN) == (False, None)
    assert policy_allows({"isAuthorized": True}, ARN)[1].startswith("authorizer answered")


def test_claims_as_text_and_deploy_notes():
    assert text_claims({"a": ["x", "y"], "b": True, "c": 3, "d": "s"}) == {"a": "[x y]", "b": "true", "c": "3",
                                                                         "d": "s"}
    from tight.dev.auth import Rule

    jwt_rule = {"f": Rule("jwt")}
    assert deploy_notes("rest", JWT, jwt_rule)[0].startswith("deploy refuses auth: jwt on a REST API")
    assert deploy_notes("http", JWT, jwt_rule) == []
    assert deploy_notes("rest", JWT, {"f": Rule("none")}) == []
