"""Azure Speech SDK config from settings: a key, or an Entra token as ``aad#<resourceId>#<token>``."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import azure.cognitiveservices.speech as speechsdk
from azure.core.exceptions import ClientAuthenticationError

from config import AzureSpeechSettings
from services.speech.base import SpeechUnavailable

COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"
_REFRESH_MARGIN_S = 300


class SpeechAuth:
    """A fresh ``SpeechConfig`` per recognition or synthesis; Entra tokens cached until near expiry."""

    def __init__(self, settings: AzureSpeechSettings, credential: Any = None) -> None:
        self._settings = settings
        self._key = settings.key.get_secret_value()
        if not self._key and not settings.resource_id:
            raise SpeechUnavailable("Azure Speech needs AZURE_SPEECH__KEY or AZURE_SPEECH__RESOURCE_ID")
        if not settings.region and not settings.endpoint:
            raise SpeechUnavailable("Azure Speech needs AZURE_SPEECH__REGION or AZURE_SPEECH__ENDPOINT")
        if not self._key and not settings.region:
            raise SpeechUnavailable("Entra authentication with the Speech SDK needs AZURE_SPEECH__REGION")
        self._credential = credential
        self._token = ""
        self._expires_on = 0.0
        self._lock = asyncio.Lock()

    @property
    def uses_entra(self) -> bool:
        return not self._key

    async def _entra_token(self) -> str:
        async with self._lock:
            if self._token and self._expires_on - time.time() > _REFRESH_MARGIN_S:
                return self._token
            if self._credential is None:
                from azure.identity import DefaultAzureCredential

                self._credential = DefaultAzureCredential()
            try:
                access = await asyncio.wait_for(
                    asyncio.to_thread(self._credential.get_token, COGNITIVE_SCOPE), timeout=15
                )
            except (ClientAuthenticationError, TimeoutError, OSError) as exc:
                raise SpeechUnavailable(f"no Microsoft Entra token: {type(exc).__name__}") from exc
            self._token, self._expires_on = access.token, float(access.expires_on)
            return self._token

    async def speech_config(self) -> speechsdk.SpeechConfig:
        s = self._settings
        if self._key:
            if s.endpoint:
                return speechsdk.SpeechConfig(subscription=self._key, endpoint=s.endpoint)
            return speechsdk.SpeechConfig(subscription=self._key, region=s.region)
        token = await self._entra_token()
        # Documented format for Entra tokens with the Speech SDK: "aad#" + resource id + "#" + token.
        return speechsdk.SpeechConfig(auth_token=f"aad#{s.resource_id}#{token}", region=s.region)
