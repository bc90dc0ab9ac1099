"""The Bot Framework CloudAdapter: activities POSTed over HTTP and the telephony streaming socket."""

from __future__ import annotations

from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)

from adapters.adapter_setup import AdapterSetup, configure_adapter
from adapters.channel_auth import RefusingAuthentication
from adapters.streaming_channel import VoiceCloudAdapter
from config import Settings
from core.security.service_urls import ServiceUrlPolicy


def create_adapter(settings: Settings, setup: AdapterSetup) -> CloudAdapter:
    """Anonymous when no app id is set (Emulator, local tests); JWT-checked channel auth otherwise.
    Serves both transports: activities POSTed over HTTP and the streaming WebSocket (telephony channel)."""
    credentials = ConfigurationServiceClientCredentialFactory(settings.bot_framework_config())
    adapter = VoiceCloudAdapter(
        RefusingAuthentication(
            ConfigurationBotFrameworkAuthentication(
                settings.bot_framework_config(), credentials_factory=credentials
            ),
            ServiceUrlPolicy.from_settings(settings),
        ),
        credentials,
    )
    return configure_adapter(adapter, setup)


async def close_adapter(adapter: CloudAdapter) -> None:
    """Close what ``create_adapter`` opened (the connections replies go over)."""
    authentication = adapter.bot_framework_authentication
    if isinstance(authentication, RefusingAuthentication):
        await authentication.close()
