"""Bot Framework channel tokens for tests: an RSA signing key served from a local OpenID metadata endpoint
(the shape login.botframework.com serves), and tokens minted with it or forged in the usual ways."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from botframework.connector.auth import AuthenticationConstants, ChannelValidation
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER  # https://api.botframework.com


def _b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class ChannelKeys:
    """The channel's signing key (id ``kid``), endorsed for the telephony channel, and a token factory."""

    app_id: str
    kid: str = "test-signing-key"
    key: rsa.RSAPrivateKey = field(default_factory=_new_key)
    endorsements: tuple[str, ...] = ("telephony",)
    metadata_url: str = ""

    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "endorsements": list(self.endorsements)}]}

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        return {"iss": ISSUER, "aud": self.app_id, "iat": now, "nbf": now, "exp": now + 3600, **overrides}

    def token(self, *, key: rsa.RSAPrivateKey | None = None, kid: str | None = None, **claims: Any) -> str:
        """A channel token signed RS256 (by ``key``, the real key unless given) with ``claims`` overridden."""
        return jwt.encode(
            self.claims(**claims), key or self.key, algorithm="RS256", headers={"kid": kid or self.kid}
        )

    def forged_tokens(self) -> dict[str, str]:
        """Every kind of token the bot must refuse, by name."""
        public_pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        unsigned = jwt.encode(self.claims(), None, algorithm="none", headers={"kid": self.kid})
        # HS256 keyed with the public key: the classic algorithm-confusion forgery (PyJWT refuses to
        # make one, so it is put together by hand).
        header = json.dumps({"alg": "HS256", "typ": "JWT", "kid": self.kid})
        signing_input = f"{_b64(header)}.{_b64(json.dumps(self.claims()))}"
        mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
        hs256 = f"{signing_input}.{_b64(mac)}"
        return {
            "malformed": "not-a-jwt",
            "expired": self.token(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200),
            "wrongly signed": self.token(key=_new_key()),
            "unknown kid": self.token(kid="some-other-key"),
            "alg none": unsigned,
            "HS256": hs256,
            "wrong audience": self.token(aud="someone-elses-bot"),
            "wrong issuer": self.token(iss="https://sts.windows.net/evil/"),
        }


class _MetadataHandler(BaseHTTPRequestHandler):
    keys: ChannelKeys
    base: str

    def do_GET(self) -> None:
        if self.path == "/v1/.well-known/openidconfiguration":
            body: dict[str, Any] = {"issuer": ISSUER, "jwks_uri": f"{self.base}/v1/.well-known/keys"}
        elif self.path == "/v1/.well-known/keys":
            body = self.keys.jwks()
        else:
            self.send_error(404)
            return
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def served_channel_keys(keys: ChannelKeys) -> Iterator[ChannelKeys]:
    """Serve ``keys`` on a loopback OpenID metadata endpoint (in a thread: botbuilder fetches the keys
    with blocking ``requests`` calls from the event loop) and point botbuilder's channel validation at it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _MetadataHandler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    server.RequestHandlerClass = type("Handler", (_MetadataHandler,), {"keys": keys, "base": base})
    thread = threading.Thread(target=server.serve_forever, name="openid-metadata", daemon=True)
    thread.start()
    keys.metadata_url = f"{base}/v1/.well-known/openidconfiguration"
    previous = ChannelValidation.open_id_metadata_endpoint
    # botbuilder's own override point for the channel's metadata URL (a class attribute).
    ChannelValidation.open_id_metadata_endpoint = keys.metadata_url
    try:
        yield keys
    finally:
        ChannelValidation.open_id_metadata_endpoint = previous
        server.shutdown()
        server.server_close()
