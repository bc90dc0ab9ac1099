"""Azure Speech SDK config from settings: a key with a region or endpoint, or Microsoft Entra ID through the
SDK's ``token_credential`` with the resource's custom-domain endpoint (the private-endpoint topology)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import azure.cognitiveservices.speech as speechsdk

from config import AzureSpeechSettings
from services.speech.base import SpeechUnavailable

CUSTOM_DOMAIN_SUFFIX = ".cognitiveservices.azure.com"


def custom_domain_endpoint(endpoint: str) -> str:
    """``https://<name>.cognitiveservices.azure.com/``, or SpeechUnavailable saying what is needed.

    Entra tokens are accepted only on a custom subdomain (never the regional ``<region>.api.cognitive…``
    host), which is also the name the private endpoint's DNS zone resolves inside the network."""
    host = urlparse(endpoint).hostname or ""
    subdomain = host.removesuffix(CUSTOM_DOMAIN_SUFFIX)
    if urlparse(endpoint).scheme != "https" or not host.endswith(CUSTOM_DOMAIN_SUFFIX) or "." in subdomain:
        raise SpeechUnavailable(
            "Entra authentication with Azure Speech needs AZURE_SPEECH__ENDPOINT set to the resource's "
            "custom-domain endpoint, https://<name>.cognitiveservices.azure.com/"
        )
    return f"https://{host}/"


class SpeechAuth:
    """A fresh ``SpeechConfig`` per recognizer or synthesizer.

    Key auth: ``subscription`` with ``region`` (or ``endpoint``). Entra (no key): ``token_credential`` with
    the custom-domain ``endpoint``; SDK 1.53 refuses ``auth_token`` together with ``endpoint``, and with
    ``token_credential`` the SDK itself asks the credential for a token whenever the service wants one."""

    def __init__(self, settings: AzureSpeechSettings, credential: Any = None) -> None:
        self._settings = settings
        self._key = settings.key.get_secret_value()
        if self._key:
            if not settings.region and not settings.endpoint:
                raise SpeechUnavailable("Azure Speech needs AZURE_SPEECH__REGION or AZURE_SPEECH__ENDPOINT")
            self._endpoint = settings.endpoint
        else:
            self._endpoint = custom_domain_endpoint(settings.endpoint)
        self._credential = credential

    @property
    def uses_entra(self) -> bool:
        return not self._key

    def _token_credential(self) -> Any:
        if self._credential is None:
            from azure.identity import DefaultAzureCredential  # the SDK calls it on its own threads

            self._credential = DefaultAzureCredential()
        return self._credential

    async def speech_config(self) -> speechsdk.SpeechConfig:
        if not self._key:
            return speechsdk.SpeechConfig(token_credential=self._token_credential(), endpoint=self._endpoint)
        if self._endpoint:
            return speechsdk.SpeechConfig(subscription=self._key, endpoint=self._endpoint)
        return speechsdk.SpeechConfig(subscription=self._key, region=self._settings.region)
