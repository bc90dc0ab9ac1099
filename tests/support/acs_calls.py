"""A call app with the real ACS routes (Event Grid webhook, callbacks, media socket) on loopback, the real
Call Automation SDK client over a fake transport, helpers to answer a phone call and post its callbacks."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from adapters.acs.media_ws import ACS_CLIENT_KEY, REGISTRY_KEY
from adapters.acs.registry import CallRecord
from config import Settings
from tests.support.acs_callbacks import RESOURCE_ID, AcsOpenIdServer
from tests.support.fake_acs import FakeCallAutomationService
from tests.voice.harness import RecordingBot, make_app

SECRET = "event-grid-secret-7f3a"


def incoming_call_event(caller: str = "+14255550123") -> dict[str, Any]:
    """An Event Grid IncomingCall event as ACS delivers it."""
    unique = uuid.uuid4().hex
    return {
        "id": f"evt-{unique}",
        "eventType": "Microsoft.Communication.IncomingCall",
        "data": {
            "to": {
                "kind": "phoneNumber",
                "rawId": "4:+18005550100",
                "phoneNumber": {"value": "+18005550100"},
            },
            "from": {"kind": "phoneNumber", "rawId": f"4:{caller}", "phoneNumber": {"value": caller}},
            "serverCallId": f"server-{unique}",
            "incomingCallContext": f"ctx-{unique}",
            "correlationId": f"corr-{unique}",
        },
    }


@dataclass
class CallServer:
    server: TestServer
    acs: FakeCallAutomationService
    http: aiohttp.ClientSession

    @property
    def registry(self) -> Any:
        return self.server.app[REGISTRY_KEY]

    @property
    def base(self) -> str:
        return str(self.server.make_url("/")).rstrip("/")

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def answer_call(self, caller: str = "+14255550123", **params: str) -> CallRecord:
        """Event Grid delivers an IncomingCall; the bot answers it through Call Automation."""
        before = len(self.acs.answered)
        async with self.http.post(
            self.url("/api/calls/incoming"),
            json=[incoming_call_event(caller)],
            params={"secret": SECRET, **params},
        ) as resp:
            assert resp.status == 200, await resp.text()
        assert len(self.acs.answered) == before + 1
        record = self.registry.by_connection(f"conn-{len(self.acs.answered)}")
        assert record is not None
        return record

    def callback_url(self) -> str:
        """What ACS was told to call back for the last answered call (from the answer request it received)."""
        answers = [r for r in self.acs.requests if r["url"].split("?")[0].endswith("callConnections:answer")]
        return str(answers[-1]["body"]["callbackUri"]).replace("https://bot.example.com", self.base)

    def media_url(self) -> str:
        answers = [r for r in self.acs.requests if r["url"].split("?")[0].endswith("callConnections:answer")]
        transport = str(answers[-1]["body"]["mediaStreamingOptions"]["transportUrl"])
        return transport.replace("wss://bot.example.com", self.base.replace("http://", "ws://"))

    async def post_events(self, url: str, events: list[dict[str, Any]], headers: dict[str, str]) -> int:
        async with self.http.post(url, json=events, headers=headers) as resp:
            return resp.status


def call_event(kind: str, connection_id: str) -> dict[str, Any]:
    return {
        "id": f"e-{uuid.uuid4().hex}",
        "type": f"Microsoft.Communication.{kind}",
        "data": {"callConnectionId": connection_id},
    }


def call_settings(data_dir: Path, openid: AcsOpenIdServer, **acs: Any) -> Settings:
    values = {
        "event_grid_secret": SECRET,
        "public_base_url": "https://bot.example.com",
        "resource_id": RESOURCE_ID,
        "openid_configuration_url": openid.configuration_url,
        **acs,
    }
    return Settings(_env_file=None, data_dir=data_dir, acs=values)


async def serve_calls(
    settings: Settings, bot: Any | None = None, **app_items: Any
) -> AsyncIterator[CallServer]:
    """For a fixture: ``async for s in serve_calls(...): yield s``."""
    acs = FakeCallAutomationService()
    app = make_app(settings, bot or RecordingBot(greeting="Hi."), app_items.get("stt"), app_items.get("tts"))
    app[ACS_CLIENT_KEY] = acs.client()
    server = TestServer(app, host="127.0.0.1")
    await server.start_server(**app_items.get("server_options", {}))
    try:
        async with aiohttp.ClientSession() as http:
            yield CallServer(server, acs, http)
    finally:
        await server.close()
