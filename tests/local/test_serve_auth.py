"""local.serve enforces what API Gateway enforces, over real HTTP: JWT (a real local OIDC issuer),
Lambda authorizer functions run in process, IAM; and local.token tokens."""
from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
import requests
from conftest import free_port, run_tight
from cryptography.hazmat.primitives.asymmetric import rsa
from local_apps import APP_INDEX, Server, write
from oidc_issuer import Issuer

SHOW = '''\
import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy


@lambda_proxy.get
def get_handler(request):
    return {"statusCode": 200, "body": {"claims": request.claims, "scopes": request.scopes,
            "authorizer": request.authorizer, "principal": request.principal_id,
            "raw": request.event["requestContext"].get("authorizer")}}


@lambda_proxy.post
def post_handler(request):
    return {"statusCode": 200, "body": {"got": request.body}}
'''
GATE = '''\
import tight.providers.aws.controllers.authorizer as authorizer

CALLS = []


@authorizer.handler
def check(request):
    CALLS.append(request.token)
    if request.token == "Bearer good":
        return authorizer.allow("user-1", context={"tenant": "t1", "calls": len(CALLS), "kind": request.kind})
    return authorizer.deny()
'''
TIGHT_YML = '''\
name: club
auth:
  jwt:
    issuer: {issuer}
    audience: [my-client, other-client]
functions:
  open: {{}}
  orders: {{auth: jwt, scopes: [orders/read, orders/admin]}}
  profile: {{auth: jwt}}
  admin: {{auth: gate}}
  billing: {{auth: gate}}
  signed: {{auth: iam}}
  gate: {{type: authorizer, ttl: 300}}
'''


def make_app(root, issuer: str):
    write(root / "tight.yml", TIGHT_YML.format(issuer=issuer))
    write(root / "env.yml", "NAME: club\nSTAGE: dev\n")
    write(root / "app_index.py", APP_INDEX)
    for package in ("app", "app/functions"):
        write(root / package / "__init__.py", "")
    for name in ("open", "orders", "profile", "admin", "billing", "signed", "gate"):
        write(root / "app/functions" / name / "__init__.py", "")
        write(root / "app/functions" / name / "handler.py", GATE if name == "gate" else SHOW)
    return root


@pytest.fixture(scope="module")
def issuer():
    with Issuer() as running:
        yield running


@pytest.fixture(scope="module", params=("1.0", "2.0"))
def served(request, issuer, tmp_path_factory):
    root = make_app(tmp_path_factory.mktemp(f"auth{request.param}") / "club", issuer.url)
    port = free_port()
    server = Server(root, "--port", str(port), "--payload", request.param, "--no-db")
    server.wait_ready()
    server.root, server.payload = root, request.param
    yield f"http://127.0.0.1:{port}", server
    server.kill()


def call(base, path, token=None, **headers):
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(f"{base}{path}", headers=headers, timeout=30)


def unauthorized(response, status=401):
    assert response.status_code == status, response.text
    assert response.json() == {"message": "Unauthorized" if status == 401 else "Forbidden"}


def test_banner_names_each_routes_auth_and_the_local_key(served):
    _, server = served
    text = server.output()
    assert "-> orders  [auth: jwt orders/read,orders/admin]" in text
    assert "-> admin  [auth: gate]" in text and "-> signed  [auth: iam]" in text
    assert "`tight local.token` tokens (this app's local key: accepted here only, never by AWS)" in text
    assert "is served over http: fine here, deploy needs an https:// issuer" in text


def test_a_good_token_reaches_the_function_with_its_claims(served, issuer):
    base, server = served
    response = call(base, "/orders", issuer.token(scope="orders/read openid", groups=["a", "b"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["claims"]["sub"] == "user-7" and body["claims"]["iss"] == issuer.url
    assert body["claims"]["groups"] == "[a b]"  # API Gateway passes claims as text
    assert body["scopes"] == ["orders/read", "openid"]
    if server.payload == "2.0":
        assert body["raw"]["jwt"]["scopes"] == ["orders/read", "openid"]
        assert body["principal"] == "user-7"
    else:
        assert set(body["raw"]) == {"claims"}


def _hs256_with_public_key(issuer) -> str:
    """The key-confusion attack: HS256 'signed' with the issuer's public key as the HMAC secret."""
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import serialization

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    secret = issuer.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    signing = part({"alg": "HS256", "typ": "JWT", "kid": issuer.kid}) + "." + part(
        {"iss": issuer.url, "aud": "my-client", "sub": "x", "exp": int(time.time()) + 60})
    signature = base64.urlsafe_b64encode(hmac.new(secret, signing.encode(), hashlib.sha256).digest())
    return signing + "." + signature.decode().rstrip("=")


def _local_kid_other_key(root) -> str:
    """A token claiming the app's local key id, signed by another key."""
    from tight_tasks.local.tokens import key_id, local_key

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode({"iss": "x", "aud": "my-client", "exp": int(time.time()) + 60}, other, algorithm="RS256",
                      headers={"kid": key_id(local_key(root))})


@pytest.mark.parametrize("case", ["expired", "not_yet_valid", "wrong_aud", "wrong_iss", "tampered", "alg_none",
                                  "other_key", "missing", "not_bearer", "garbage", "hs256_confusion",
                                  "local_kid_spoof", "huge"])
def test_bad_tokens_are_401(served, issuer, case):
    base, server = served
    now = int(time.time())
    tokens = {
        "expired": lambda: issuer.token(exp=now - 5, iat=now - 700),
        "not_yet_valid": lambda: issuer.token(nbf=now + 300),
        "wrong_aud": lambda: issuer.token(audience="someone-else"),
        "wrong_iss": lambda: issuer.token(iss="http://127.0.0.1:1/evil"),
        "alg_none": lambda: jwt.encode({"iss": issuer.url, "aud": "my-client", "sub": "x", "exp": now + 60},
                                       None, algorithm="none"),
        "other_key": lambda: issuer.token(key=rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        "garbage": lambda: "not.a.jwt",
        "hs256_confusion": lambda: _hs256_with_public_key(issuer),
        "local_kid_spoof": lambda: _local_kid_other_key(server.root),
        "huge": lambda: "a" * 6000 + "." + "b" * 6000 + ".c",
    }
    if case == "tampered":
        head, payload, signature = issuer.token().split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
        claims["sub"] = "admin"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        response = call(base, "/profile", f"{head}.{forged}.{signature}")
    elif case == "missing":
        response = call(base, "/profile")
    elif case == "not_bearer":
        response = call(base, "/profile", Authorization=f"Basic {issuer.token()}")
    else:
        response = call(base, "/profile", tokens[case]())
    unauthorized(response)


def test_cognito_access_tokens_carry_client_id_instead_of_aud(served, issuer):
    base, _ = served
    token = issuer.token(audience=None, client_id="other-client", token_use="access")
    assert call(base, "/profile", token).status_code == 200


def test_scopes_one_of_the_routes_is_needed(served, issuer):
    base, _ = served
    unauthorized(call(base, "/orders", issuer.token()), 403)
    unauthorized(call(base, "/orders", issuer.token(scope="orders/write")), 403)
    assert call(base, "/orders", issuer.token(scope="orders/admin")).status_code == 200
    assert call(base, "/profile", issuer.token()).status_code == 200  # no scopes asked


def test_open_routes_and_preflights_need_nothing(served):
    base, _ = served
    assert call(base, "/open").status_code == 200
    response = requests.options(f"{base}/orders", timeout=30,
                                headers={"Origin": "http://app.test", "Access-Control-Request-Method": "POST"})
    assert response.status_code not in (401, 403)


def test_local_token_is_accepted_here(served):
    base, server = served
    result = run_tight("local.token", "--sub", "dev-1", "--scope", "orders/read", "--claim", "tenant=t9",
                       "--claim", "n=3", cwd=server.root)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    body = call(base, "/orders", token).json()
    assert (body["claims"]["sub"], body["claims"]["tenant"], body["claims"]["n"]) == ("dev-1", "t9", "3")
    assert body["claims"]["aud"] == "my-client"
    assert (server.root / ".tight-local-key.pem").stat().st_mode & 0o777 == 0o600


def test_authorizer_function_allows_denies_and_caches(served):
    base, server = served
    first = call(base, "/admin", Authorization="Bearer good")
    assert first.status_code == 200, first.text
    context = first.json()["authorizer"]
    assert (context["tenant"], context["kind"]) == ("t1", "REQUEST")
    assert first.json()["principal"] == "user-1"
    again = call(base, "/billing", Authorization="Bearer good")  # another route, same identity: cached
    assert again.status_code == 200 and again.json()["authorizer"]["calls"] == context["calls"]
    unauthorized(call(base, "/admin", Authorization="Bearer bad"), 403)
    unauthorized(call(base, "/admin"), 401)  # no identity source: the authorizer is not even called
    if server.payload == "1.0":
        assert set(first.json()["raw"]) == {"tenant", "calls", "kind", "principalId", "integrationLatency"}
    else:
        assert first.json()["raw"] == {"lambda": {**context, "principalId": "user-1"}}


def test_iam_needs_a_sigv4_header(served):
    base, _ = served
    unauthorized(call(base, "/signed"), 403)
    unauthorized(call(base, "/signed", Authorization="Bearer x"), 403)
    signed = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260312/us-east-1/execute-api/aws4_request, "
              "SignedHeaders=host;x-amz-date, Signature=0123abcd")
    response = call(base, "/signed", Authorization=signed)
    assert response.status_code == 200
    assert response.json()["authorizer"]["accessKey"] == "AKIDEXAMPLE"


def test_discovery_and_keys_are_fetched_once(served, issuer):
    base, _ = served
    before = list(issuer.requests)
    for _ in range(3):
        assert call(base, "/profile", issuer.token()).status_code == 200
    assert issuer.requests == before or issuer.requests[len(before):].count("/jwks.json") <= 1
