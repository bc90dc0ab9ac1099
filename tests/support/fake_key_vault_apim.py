"""Key Vault (secrets) and API Management (subscription keys) answering like their REST APIs, offline.

One azure-core async transport for both hosts, so the real ``SecretClient`` (with its bearer challenge)
and the rotation's ARM pipeline run unchanged; only the network is replaced. Keys are random per call.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from azure.core.credentials import AccessToken
from azure.core.pipeline.transport import AsyncHttpTransport
from azure.core.rest._http_response_impl_async import AsyncHttpResponseImpl

CHALLENGE = (
    'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001", '
    'resource="https://vault.azure.net"'
)


class FakeCredential:
    """An async token credential that hands out a fixed token and remembers the scopes asked for."""

    def __init__(self) -> None:
        self.scopes: list[str] = []

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes += scopes
        return AccessToken("fake-token", int(time.time()) + 3600)

    async def close(self) -> None:
        return None


class FakeKeyVaultAndApim(AsyncHttpTransport):
    """``vault_url`` serves secrets (versioned); ``subscription_id`` on ARM serves the two APIM keys."""

    def __init__(self, vault_url: str, subscription_id: str) -> None:
        self.vault_host = urlsplit(vault_url).netloc
        self.subscription_id = subscription_id
        self.apim_keys = {"primary": secrets.token_hex(16), "secondary": secrets.token_hex(16)}
        self.versions: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[dict[str, Any]] = []
        self.regenerate_is_noop = False

    def put_secret(self, name: str, value: str) -> str:
        version = secrets.token_hex(16)
        bundle = {"value": value, "attributes": {"enabled": True}, "tags": {}, "version": version}
        self.versions.setdefault(name, []).append(bundle)
        return version

    def current(self, name: str) -> dict[str, Any]:
        return self.versions[name][-1]

    async def __aenter__(self) -> FakeKeyVaultAndApim:
        return self

    async def __aexit__(self, *args: Any) -> None:
        return None

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def sleep(self, duration: float) -> None:
        """Retry back-off: no real waiting in tests."""

    def _response(
        self, request: Any, status: int, payload: Any, headers: dict[str, str] | None = None
    ) -> Any:
        content = b"" if payload is None else json.dumps(payload).encode()
        response = AsyncHttpResponseImpl(
            request=request,
            internal_response=None,
            status_code=status,
            reason="OK" if status < 400 else "Error",
            content_type="application/json",
            headers={
                "Content-Type": "application/json",
                "Content-Length": str(len(content)),
                **(headers or {}),
            },
            stream_download_generator=None,
        )
        response._content = content
        response._is_stream_consumed = True
        return response

    async def send(self, request: Any, **kwargs: Any) -> Any:
        raw = request.content if request.content is not None else getattr(request, "data", None)
        if isinstance(raw, bytes | bytearray):
            raw = raw.decode()
        body = json.loads(raw) if isinstance(raw, str) and raw else None
        self.requests.append(
            {"method": request.method, "url": request.url, "headers": dict(request.headers), "body": body}
        )
        url = urlsplit(request.url)
        if not request.headers.get("Authorization"):
            if url.netloc == self.vault_host:
                return self._response(
                    request, 401, {"error": {"code": "Unauthorized"}}, {"WWW-Authenticate": CHALLENGE}
                )
            return self._response(request, 401, {"error": {"code": "AuthenticationFailed"}})
        if url.netloc == self.vault_host:
            return self._vault(request, url.path, body)
        return self._apim(request, url.path)

    def _bundle(self, name: str, bundle: dict[str, Any]) -> dict[str, Any]:
        return {
            "value": bundle["value"],
            "id": f"https://{self.vault_host}/secrets/{name}/{bundle['version']}",
            "attributes": bundle["attributes"],
            "contentType": bundle.get("contentType"),
            "tags": bundle["tags"],
        }

    def _vault(self, request: Any, path: str, body: Any) -> Any:
        parts = [p for p in path.split("/") if p]
        if len(parts) < 2 or parts[0] != "secrets":
            return self._response(request, 400, {"error": {"code": "BadParameter"}})
        name = parts[1]
        if request.method == "PUT":
            version = self.put_secret(name, body["value"])
            bundle = self.current(name)
            bundle["contentType"] = body.get("contentType")
            bundle["tags"] = body.get("tags") or {}
            bundle["attributes"] = {"enabled": True, **(body.get("attributes") or {})}
            assert bundle["version"] == version
            return self._response(request, 200, self._bundle(name, bundle))
        if name not in self.versions:
            return self._response(request, 404, {"error": {"code": "SecretNotFound", "message": name}})
        wanted = parts[2] if len(parts) > 2 else ""
        matching = (
            [b for b in self.versions[name] if b["version"] == wanted] if wanted else [self.current(name)]
        )
        if not matching:
            return self._response(request, 404, {"error": {"code": "SecretNotFound", "message": name}})
        return self._response(request, 200, self._bundle(name, matching[0]))

    def _apim(self, request: Any, path: str) -> Any:
        if request.method != "POST" or not path.startswith(self.subscription_id + "/"):
            return self._response(request, 404, {"error": {"code": "ResourceNotFound"}})
        action = path.rsplit("/", 1)[1]
        if action == "listSecrets":
            keys = self.apim_keys
            return self._response(
                request, 200, {"primaryKey": keys["primary"], "secondaryKey": keys["secondary"]}
            )
        if action in ("regeneratePrimaryKey", "regenerateSecondaryKey"):
            if not self.regenerate_is_noop:
                self.apim_keys["primary" if action == "regeneratePrimaryKey" else "secondary"] = (
                    secrets.token_hex(16)
                )
            return self._response(request, 204, None)
        return self._response(request, 404, {"error": {"code": "ResourceNotFound"}})
