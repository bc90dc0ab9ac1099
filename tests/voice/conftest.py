"""Fixtures: settings for call tests, a server with the call routes on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from adapters.acs.media_ws import ACS_CLIENT_KEY
from config import Settings
from tests.support.acs_callbacks import RESOURCE_ID, AcsOpenIdServer, serve_acs_openid
from tests.voice.harness import make_app
from voice.settings import VoiceSettings

SECRET = "test-secret-123"


@pytest.fixture(scope="session")
def acs_openid() -> Iterator[AcsOpenIdServer]:
    """ACS's OpenID metadata and signing keys, on loopback."""
    yield from serve_acs_openid()


@pytest.fixture
def settings(tmp_path, acs_openid: AcsOpenIdServer) -> Settings:
    s = Settings(_env_file=None, data_dir=tmp_path)
    s.acs.event_grid_secret = type(s.acs.event_grid_secret)(SECRET)
    s.acs.public_base_url = "https://bot.example.com"
    s.acs.resource_id = RESOURCE_ID
    s.acs.openid_configuration_url = acs_openid.configuration_url
    return s


@pytest.fixture
async def start_server(settings) -> AsyncIterator[Callable[..., Any]]:
    servers: list[TestServer] = []

    async def start(bot: Any, stt: Any, tts: Any, voice: VoiceSettings | None = None, **app_items: Any):
        if voice is not None:
            object.__setattr__(settings, "voice", voice)
        app = make_app(settings, bot, stt, tts)
        if "acs_client" in app_items:
            app[ACS_CLIENT_KEY] = app_items.pop("acs_client")
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.close()
