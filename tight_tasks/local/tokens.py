"""JWTs on the laptop: check them as an HTTP API's JWT authorizer does, and sign local ones.

:class:`Verifier` checks ``Authorization: Bearer <token>`` against ``auth.jwt``:
the signature with the issuer's keys (OIDC discovery: ``<issuer>/.well-known/
openid-configuration`` -> ``jwks_uri``, both cached), then ``iss``, ``aud`` (or
``client_id``, which Cognito access tokens carry instead), ``exp``, ``nbf`` and the
route's scopes. It also accepts tokens signed with the app's local key
(:func:`issue`, ``tight local.token``): AWS never does.

The local key is an RSA key in ``.tight-local-key.pem`` at the app root (mode 0600,
made by the first ``local.token``, never packaged). PyJWT and cryptography are imported here only:
nothing of this ships to Lambda.
"""
from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

KEY_FILE = ".tight-local-key.pem"
ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"]
DISCOVERY_TTL = 300.0


class TokenRefused(Exception):
    """The token does not get in; ``status`` is what API Gateway answers (401, or 403 for scopes)."""

    def __init__(self, reason: str, status: int = 401):
        super().__init__(reason)
        self.status = status


def local_key(root: Path, create: bool = True):
    """The app's local RSA private key, made (mode 0600) on first use; None when absent and not ``create``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    path = Path(root) / KEY_FILE
    if path.is_file():
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not create:
        return None
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return key


def key_id(key) -> str:
    """``tight-local-<digest>``: names the local key in a token's header."""
    import hashlib

    from cryptography.hazmat.primitives import serialization

    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return "tight-local-" + hashlib.sha256(der).hexdigest()[:16]


def issue(root: Path, jwt_settings: dict[str, Any], sub: str = "local-user", scopes: list[str] | None = None,
          claims: dict[str, Any] | None = None, expires_in: int = 3600, now: float | None = None) -> str:
    """A token for ``auth.jwt``'s issuer and first audience, signed with the app's local key."""
    import jwt

    key = local_key(root)
    now = int(time.time() if now is None else now)
    payload: dict[str, Any] = {"iss": jwt_settings["issuer"], "aud": jwt_settings["audience"][0], "sub": sub,
                               "iat": now, "nbf": now, "exp": now + int(expires_in), "jti": str(uuid.uuid4()),
                               "token_use": "access"}
    if scopes:
        payload["scope"] = " ".join(scopes)
    payload.update(claims or {})
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": key_id(key)})


def bearer(headers) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (any case), else None."""
    value = next((v for k, v in headers if k.lower() == "authorization"), None)
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def unverified_header(token: str) -> dict[str, Any]:
    """A JWT's header, not yet trusted; :class:`TokenRefused` when it is not a JSON object."""
    import base64

    segment = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, TypeError):
        header = None
    if not isinstance(header, dict) or token.count(".") != 2:
        raise TokenRefused("malformed token: not three base64url parts with a JSON header")
    return header


def token_scopes(claims: dict[str, Any]) -> list[str]:
    value = claims.get("scope", claims.get("scp"))
    if isinstance(value, list):
        return [str(s) for s in value]
    return str(value).split() if value else []


class Verifier:
    """Checks tokens for one ``auth.jwt`` (``{"issuer", "audience"}``) and the app at ``root``."""

    def __init__(self, jwt_settings: dict[str, Any], root: Path, timeout: float = 5.0):
        self.issuer = jwt_settings["issuer"]
        self.audience = list(jwt_settings["audience"])
        self.root = Path(root)
        self.timeout = timeout
        self._lock = threading.Lock()
        self._client = None
        self._fetched = 0.0
        self._local = None

    def _local_key(self):
        """``(kid, public key)`` of the app's local key, or ``(None, None)`` until local.token made one."""
        if self._local is None:
            key = local_key(self.root, create=False)
            if key is None:
                return None, None
            self._local = (key_id(key), key.public_key())
        return self._local

    def _jwks(self):
        import jwt

        with self._lock:
            if self._client is None or time.monotonic() - self._fetched > DISCOVERY_TTL:
                url = f"{self.issuer.rstrip('/')}/.well-known/openid-configuration"
                try:
                    with urllib.request.urlopen(url, timeout=self.timeout) as answer:
                        document = json.loads(answer.read(1024 * 1024))
                    jwks_uri = document["jwks_uri"]
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    raise TokenRefused(f"cannot read {url}: {exc}") from None
                self._client = jwt.PyJWKClient(jwks_uri, cache_keys=True, lifespan=DISCOVERY_TTL,
                                               timeout=int(self.timeout) or 1)
                self._fetched = time.monotonic()
            return self._client

    def _signing_key(self, token: str):
        """The key that must have signed ``token``: the local key, or the issuer's key named by ``kid``.

        The header is read here (PyJWT would parse it twice more: it is most of the check's time).
        """
        import jwt

        header = unverified_header(token)
        if header.get("alg") not in ALGORITHMS:
            raise TokenRefused(f"token algorithm {header.get('alg')!r} is not accepted")
        kid, key = self._local_key()
        if kid is not None and header.get("kid") == kid:
            return key
        try:
            return self._jwks().get_signing_key(str(header.get("kid"))).key
        except jwt.PyJWTError as exc:
            raise TokenRefused(f"no key of the issuer signs it: {exc}") from None

    def verify(self, token: str | None, scopes: tuple[str, ...] = ()) -> dict[str, Any]:
        """The token's claims, or :class:`TokenRefused` saying why not."""
        import jwt

        if not token:
            raise TokenRefused("no Authorization: Bearer token")
        key = self._signing_key(token)
        try:
            claims = jwt.decode(token, key, algorithms=ALGORITHMS, issuer=self.issuer,
                                options={"verify_aud": False, "require": ["exp", "iss"]})
        except jwt.PyJWTError as exc:
            raise TokenRefused(f"token refused: {exc}") from None
        audience = claims.get("aud", claims.get("client_id"))
        audience = audience if isinstance(audience, list) else [audience]
        if not set(map(str, audience)) & set(self.audience):
            raise TokenRefused(f"token audience {audience} is none of auth.jwt.audience {self.audience}")
        if scopes and not set(scopes) & set(token_scopes(claims)):
            raise TokenRefused(f"token scopes {token_scopes(claims)} include none of {list(scopes)}", 403)
        return claims
