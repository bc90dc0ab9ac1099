"""A Bot Framework channel's signing key on loopback: OpenID metadata + JWKS that botbuilder's channel
validation fetches, and tokens signed with it (or forged against it)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

KNOWN_KID = "channel-key-1"
CHANNEL_ISSUER = "https://api.botframework.com"


@dataclass
class ChannelKeys:
    key: rsa.RSAPrivateKey
    metadata_url: str

    def token(self, app_id: str, kid: str = KNOWN_KID, service_url: str = "", lifetime_s: int = 3600) -> str:
        """A token as the Bot Connector service signs it for ``app_id`` (and the activity's serviceUrl)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": CHANNEL_ISSUER,
            "aud": app_id,
            "nbf": now - 60,
            "exp": now + lifetime_s,
        }
        if service_url:
            claims["serviceurl"] = service_url
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": kid})


def _handler(jwks: dict[str, Any]) -> type[BaseHTTPRequestHandler]:
    class KeyServer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the http.server interface
            host, port = self.server.server_address[:2]
            body = (
                {"jwks_uri": f"http://{host!s}:{port}/keys"}
                if self.path.endswith("openid-configuration")
                else jwks
            )
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            return

    return KeyServer


@contextmanager
def serve_channel_keys(
    endorsements: tuple[str, ...] = ("msteams", "telephony", "emulator"),
) -> Iterator[ChannelKeys]:
    """A fresh RSA key published on a loopback port (botbuilder reads it with blocking ``requests``, so it
    is served from its own thread)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwks = {"keys": [{**jwk, "kid": KNOWN_KID, "use": "sig", "endorsements": list(endorsements)}]}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(jwks))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    host, port = httpd.server_address[:2]
    try:
        yield ChannelKeys(key, f"http://{host!s}:{port}/v1/.well-known/openid-configuration")
    finally:
        httpd.shutdown()
        thread.join(5)
