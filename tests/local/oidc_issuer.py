"""A real OIDC issuer on a free port: discovery document, JWKS and RS256 keys from cryptography."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from conftest import free_port
from cryptography.hazmat.primitives.asymmetric import rsa


class Issuer:
    """``with Issuer() as issuer:`` serves ``issuer.url``; :meth:`token` signs with its key."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-key-1"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[str] = []
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        documents = {
            "/.well-known/openid-configuration": {"issuer": self.url, "jwks_uri": f"{self.url}/jwks.json",
                                                  "id_token_signing_alg_values_supported": ["RS256"]},
            "/jwks.json": {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]},
        }
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                issuer.requests.append(self.path)
                body = json.dumps(documents.get(self.path, {"error": "not found"})).encode()
                self.send_response(200 if self.path in documents else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def token(self, audience: str = "my-client", key=None, algorithm: str = "RS256", **claims) -> str:
        now = int(time.time())
        payload = {"iss": self.url, "aud": audience, "sub": "user-7", "iat": now, "exp": now + 600, **claims}
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, key if key is not None else self.key, algorithm=algorithm,
                          headers={"kid": self.kid})
