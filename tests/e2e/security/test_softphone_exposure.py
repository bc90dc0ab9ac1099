"""The browser softphone (issue 11, item 3): off in production unless explicitly enabled, and softphone
sockets never take a phone call's place (five of them used to fill VOICE__MAX_CALLS: busy for a caller)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adapters.acs.media_ws import ACS_CLIENT_KEY
from adapters.acs.simulator import SimulatedCall, open_call
from config import Settings
from tests.support.fake_acs import FakeCallAutomationService
from tests.voice.harness import RecordingBot, make_app

SECRET = "softphone-test-secret"
INCOMING = {
    "id": "evt-phone-1",
    "eventType": "Microsoft.Communication.IncomingCall",
    "data": {
        "to": {"kind": "phoneNumber", "rawId": "4:+18005550100", "phoneNumber": {"value": "+18005550100"}},
        "from": {"kind": "phoneNumber", "rawId": "4:+14255550123", "phoneNumber": {"value": "+14255550123"}},
        "serverCallId": "server-1",
        "callerDisplayName": "",
        "incomingCallContext": "real-caller-context",
        "correlationId": "corr-1",
    },
}


def _settings(tmp_path: Any, **values: Any) -> Settings:
    voice = {"warm_up_speech": False, "gc_freeze_on_startup": False, **values.pop("voice", {})}
    settings = Settings(_env_file=None, data_dir=tmp_path, voice=voice, **values)
    settings.acs.event_grid_secret = type(settings.acs.event_grid_secret)(SECRET)
    settings.acs.public_base_url = "https://bot.example.com"
    return settings


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Any]]:
    servers: list[TestServer] = []

    async def start(settings: Settings, acs: FakeCallAutomationService | None = None) -> TestServer:
        app = make_app(settings, RecordingBot(greeting="Hi."), None, None)
        if acs is not None:
            app[ACS_CLIENT_KEY] = acs.client()
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.close()


def _media(server: TestServer) -> str:
    return str(server.make_url("/ws/media")).replace("http://", "ws://")


PRODUCTION = {"app_env": "production", "app_id": "00000000-0000-0000-0000-0000000000aa"}


async def test_production_serves_no_softphone(serve, tmp_path):
    server = await serve(_settings(tmp_path, **PRODUCTION))
    async with aiohttp.ClientSession() as http:
        async with http.get(server.make_url("/softphone")) as page:
            assert page.status == 404
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await open_call(http, _media(server), "+14255550100")
        assert refused.value.status == 403


async def test_production_serves_the_softphone_only_when_enabled_explicitly(serve, tmp_path):
    server = await serve(_settings(tmp_path, voice={"softphone_enabled": True}, **PRODUCTION))
    async with aiohttp.ClientSession() as http, http.get(server.make_url("/softphone")) as page:
        assert page.status == 200
    assert _settings(tmp_path).softphone_on  # development keeps it on by default


async def test_softphone_calls_never_take_a_phone_call_slot(serve, tmp_path):
    acs = FakeCallAutomationService()
    server = await serve(_settings(tmp_path, voice={"max_calls": 1, "max_softphone_calls": 5}), acs)
    async with aiohttp.ClientSession() as http:
        softphones: list[SimulatedCall] = [
            await open_call(http, _media(server), f"+1425555010{n}") for n in range(5)
        ]
        with pytest.raises(aiohttp.WSServerHandshakeError) as sixth:
            await open_call(http, _media(server), "+14255550109")
        assert sixth.value.status == 503  # the softphones' own cap
        url = server.make_url("/api/calls/incoming")
        async with http.post(url, json=[INCOMING], headers={"X-Contoso-Event-Secret": SECRET}) as resp:
            assert resp.status == 200
        for call in softphones:
            await call.hang_up()
    assert acs.answered == ["real-caller-context"]  # answered, not rejected as busy
    assert not [r for r in acs.requests if ":reject" in r["url"]]


async def test_demo_callers_and_pins_only_on_the_embedded_crm_outside_production(serve, tmp_path):
    """The PINs exist only in the embedded CRM's seed: with a real CRM, or in production even with the
    softphone enabled, the page gets no list (404) and shows no demo callers."""
    demo = await serve(_settings(tmp_path))
    real_crm = await serve(_settings(tmp_path, crm="http"))
    production = await serve(_settings(tmp_path, voice={"softphone_enabled": True}, **PRODUCTION))
    async with aiohttp.ClientSession() as http:
        async with http.get(demo.make_url("/softphone/demo-callers")) as shown:
            assert shown.status == 200
            assert {
                "name": "Carlos Rivera",
                "number": "+14255550100",
                "pin": "1234",
                "language": "en-US",
            } in (await shown.json())
        for server in (real_crm, production):
            async with http.get(server.make_url("/softphone/demo-callers")) as hidden:
                assert hidden.status == 404
                assert "1234" not in await hidden.text()
