"""Validates the JWT Call Automation puts on each callback: issuer and keys from ACS's OpenID configuration,
audience = the ACS resource id (Microsoft's "secure webhook endpoint" how-to)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
from aiohttp import web
from jwt import PyJWK

log = logging.getLogger(__name__)

ALGORITHMS = ["RS256"]
"""What ACS signs with; anything else (``none``, ``HS256`` with the public key as secret) is refused."""
MAX_TOKEN_CHARS = 16_384
CACHE_SECONDS = 3600.0
REFRESH_COOLDOWN_SECONDS = 30.0
"""An unknown ``kid`` refetches the keys (rotation) at most this often, so junk tokens cannot flood ACS."""
FETCH_TIMEOUT_SECONDS = 5.0
LEEWAY_SECONDS = 60


class CallbackAuthError(Exception):
    """The callback's token is missing, malformed, expired, or not from ACS for this resource."""


class CallbackAuthUnavailable(CallbackAuthError):
    """The OpenID configuration or its keys could not be fetched: callbacks are refused, not trusted."""


@dataclass
class _Keys:
    issuer: str = ""
    keys: dict[str, PyJWK] = field(default_factory=dict)
    fetched_at: float = 0.0


class AcsCallbackVerifier:
    # PyJWKClient would do the fetching, but with blocking urllib calls: aiohttp keeps the loop free.
    """``await verify(authorization_header)`` returns the token's claims or raises `CallbackAuthError`."""

    def __init__(
        self,
        audience: str,
        openid_configuration_url: str,
        *,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self.audience = audience
        self.openid_configuration_url = openid_configuration_url
        self.cache_seconds = cache_seconds
        self._keys = _Keys()
        self._lock = asyncio.Lock()

    async def _fetch_json(self, session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
        async with session.get(url) as response:
            if response.status != 200:
                raise CallbackAuthUnavailable(f"{url} answered {response.status}")
            body = await response.json(content_type=None)
        if not isinstance(body, dict):
            raise CallbackAuthUnavailable(f"{url} did not return a JSON object")
        return body

    async def _refresh(self) -> None:
        timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_SECONDS)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                config = await self._fetch_json(session, self.openid_configuration_url)
                issuer, jwks_uri = config.get("issuer"), config.get("jwks_uri")
                if not isinstance(issuer, str) or not isinstance(jwks_uri, str) or not issuer or not jwks_uri:
                    raise CallbackAuthUnavailable("OpenID configuration without issuer or jwks_uri")
                jwks = await self._fetch_json(session, jwks_uri)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise CallbackAuthUnavailable(f"OpenID configuration unavailable: {type(exc).__name__}") from exc
        keys: dict[str, PyJWK] = {}
        for item in jwks.get("keys") or []:
            try:
                key = PyJWK(item)
            except (jwt.PyJWKError, jwt.InvalidKeyError, TypeError, ValueError):
                continue  # a key type we cannot use (or a malformed entry) is skipped, not fatal
            if key.key_id:
                keys[key.key_id] = key
        self._keys = _Keys(issuer, keys, time.monotonic())
        log.info("ACS callback signing keys loaded: %d", len(keys))

    async def _key_for(self, kid: str) -> tuple[str, PyJWK]:
        age = time.monotonic() - self._keys.fetched_at
        if kid not in self._keys.keys or age > self.cache_seconds:
            async with self._lock:
                age = time.monotonic() - self._keys.fetched_at
                stale = age > self.cache_seconds
                rotated = kid not in self._keys.keys and age > REFRESH_COOLDOWN_SECONDS
                if stale or rotated:
                    await self._refresh()
        key = self._keys.keys.get(kid)
        if key is None:
            raise CallbackAuthError("token signed with an unknown key")
        return self._keys.issuer, key

    async def verify(self, authorization: str) -> dict[str, Any]:
        if not self.audience:
            raise CallbackAuthUnavailable("ACS__RESOURCE_ID is not set: callbacks cannot be verified")
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_CHARS:
            raise CallbackAuthError("no bearer token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise CallbackAuthError("malformed token") from exc
        kid = header.get("kid")
        if header.get("alg") not in ALGORITHMS or not isinstance(kid, str):
            raise CallbackAuthError("token algorithm or key id not accepted")
        issuer, key = await self._key_for(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.InvalidTokenError as exc:
            raise CallbackAuthError(f"token refused: {type(exc).__name__}") from exc
        return claims


CALLBACK_AUTH_KEY = web.AppKey("acs_callback_auth", AcsCallbackVerifier)
