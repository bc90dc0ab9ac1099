"""ACS Call Automation's side of callback authentication for tests: a local OpenID metadata server (issuer,
JWKS) on loopback and the RS256 tokens ACS would put in each callback's Authorization header."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://acscallautomation.communication.azure.com"
RESOURCE_ID = "1d2b0a52-7f7b-4f4e-9e4b-3c5a2f7d9e10"
"""The ACS resource's immutable id: the tokens' audience."""


class AcsOpenIdServer:
    """Serves ``/calling/.well-known/acsopenidconfiguration`` and ``/calling/keys`` like ACS does, from a
    thread (so any event loop's client can reach it); signs tokens with its current key."""

    def __init__(self) -> None:
        self.kid = ""
        self._private: Any = None
        self.public_jwks: list[dict[str, Any]] = []
        self.fetches = 0
        self.rotate()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # http.server's naming
                base = f"http://127.0.0.1:{self.server.server_address[1]}/calling"
                if self.path == "/calling/.well-known/acsopenidconfiguration":
                    server.fetches += 1
                    body: dict[str, Any] = {"issuer": ISSUER, "jwks_uri": f"{base}/keys"}
                elif self.path == "/calling/keys":
                    body = {"keys": server.public_jwks}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._http.serve_forever, name="acs-openid", daemon=True)
        self._thread.start()

    @property
    def configuration_url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}/calling/.well-known/acsopenidconfiguration"

    def rotate(self) -> None:
        """A new signing key, published in place of the old one (ACS key rotation)."""
        self._private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex
        public = json.loads(RSAAlgorithm.to_jwk(self._private.public_key()))
        self.public_jwks = [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]

    def token(
        self, audience: str = RESOURCE_ID, *, issuer: str = ISSUER, lifetime: float = 300, **extra: Any
    ) -> str:
        now = int(time.time())
        claims = {"iss": issuer, "aud": audience, "iat": now, "nbf": now, "exp": now + int(lifetime), **extra}
        return jwt.encode(claims, self._private, algorithm="RS256", headers={"kid": self.kid})

    def headers(self, **kwargs: Any) -> dict[str, str]:
        """The Authorization header of a genuine callback."""
        return {"Authorization": f"Bearer {self.token(**kwargs)}"}

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(5)


def serve_acs_openid() -> Iterator[AcsOpenIdServer]:
    """For a fixture: ``yield from serve_acs_openid()``."""
    server = AcsOpenIdServer()
    yield server
    server.close()


def acs_settings(server: AcsOpenIdServer, **extra: Any) -> dict[str, Any]:
    """The ``acs`` settings of a bot that verifies callbacks against ``server``."""
    return {"resource_id": RESOURCE_ID, "openid_configuration_url": server.configuration_url, **extra}
