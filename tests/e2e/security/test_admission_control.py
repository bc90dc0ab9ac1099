"""Load shedding (issue 11, item 12): past the in-flight or event-loop-lag bound, a NEW conversation gets 503
with Retry-After; a turn of a call already in progress is always served."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.acs.media_ws import ACS_CLIENT_KEY
from app import create_app
from tests.support.bot_harness import make_test_settings
from tests.support.fake_acs import FakeCallAutomationService
from tests.support.servers import serve_on_loopback

EVENT_GRID_SECRET = "admission-event-grid-secret"


class SlowConnector:
    """The channel's side: replies are accepted, but held while ``gate`` is closed (turns stay in flight)."""

    def __init__(self) -> None:
        self.acs = FakeCallAutomationService()
        """ACS Call Automation (phone calls), through the real SDK client."""
        self.gate = asyncio.Event()
        self.gate.set()
        self.replies: dict[str, list[dict[str, Any]]] = {}

    async def receive(self, request: web.Request) -> web.Response:
        await self.gate.wait()
        conversation = request.match_info["tail"].split("/")[0]
        self.replies.setdefault(conversation, []).append(await request.json())
        return web.json_response({"id": uuid.uuid4().hex})


class Channel:
    def __init__(self, http: aiohttp.ClientSession, bot_url: str, service_url: str) -> None:
        self.http, self.bot_url, self.service_url = http, bot_url, service_url

    def _activity(self, conversation: str, **fields: Any) -> dict[str, Any]:
        return {
            "id": uuid.uuid4().hex,
            "channelId": "emulator",
            "serviceUrl": self.service_url,
            "conversation": {"id": conversation},
            "from": {"id": "+14255550100", "name": "+14255550100"},
            "recipient": {"id": "contoso-voicebot", "name": "Contoso Bank"},
            "locale": "en-US",
            **fields,
        }

    async def post(self, activity: dict[str, Any]) -> tuple[int, dict[str, str]]:
        async with self.http.post(self.bot_url, json=activity) as response:
            return response.status, dict(response.headers)

    async def start(self, conversation: str) -> tuple[int, dict[str, str]]:
        members = [{"id": "+14255550100"}, {"id": "contoso-voicebot"}]
        return await self.post(self._activity(conversation, type="conversationUpdate", membersAdded=members))

    async def incoming_phone_call(self) -> int:
        """Event Grid delivering an ACS IncomingCall."""
        event = {
            "id": uuid.uuid4().hex,
            "eventType": "Microsoft.Communication.IncomingCall",
            "data": {
                "from": {
                    "kind": "phoneNumber",
                    "rawId": "4:+14255550123",
                    "phoneNumber": {"value": "+14255550123"},
                },
                "incomingCallContext": "ctx-busy",
                "serverCallId": "server-1",
            },
        }
        url = self.bot_url.replace("/api/messages", "/api/calls/incoming")
        async with self.http.post(url, json=[event], params={"secret": EVENT_GRID_SECRET}) as response:
            return response.status

    async def say(self, conversation: str, text: str) -> tuple[int, dict[str, str]]:
        return await self.post(self._activity(conversation, type="message", text=text))


async def _serve(settings, recognizer) -> AsyncIterator[tuple[Channel, SlowConnector]]:
    app = await create_app(settings, recognizer)
    connector = SlowConnector()
    app[ACS_CLIENT_KEY] = connector.acs.client()
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    sink = web.Application()
    sink.router.add_post("/v3/conversations/{tail:.*}", connector.receive)
    runner, sink_url = await serve_on_loopback(sink)
    try:
        async with aiohttp.ClientSession() as http:
            yield Channel(http, str(server.make_url("/api/messages")), sink_url), connector
    finally:
        await runner.cleanup()
        await server.close()


@pytest.fixture
async def bot(request, tmp_path, knowledge_index_dir, trained_recognizer):
    """The real bot with the admission bounds the test names (``@pytest.mark.parametrize(..., indirect)``)."""
    settings = make_test_settings(
        tmp_path, knowledge_index_dir, admission=request.param, acs={"event_grid_secret": EVENT_GRID_SECRET}
    )
    async for served in _serve(settings, trained_recognizer):
        yield served


@pytest.mark.parametrize("bot", [{"max_in_flight_turns": 2, "max_event_loop_lag_ms": 0}], indirect=True)
async def test_past_the_in_flight_bound_new_calls_get_503_and_calls_in_progress_go_on(bot) -> None:
    channel, connector = bot
    calls = [f"call-{i}-{uuid.uuid4().hex[:6]}" for i in range(3)]
    for call in calls:
        assert (await channel.start(call))[0] < 300
    connector.gate.clear()  # the channel slows down: two turns stay in flight, waiting to reply
    held = [asyncio.create_task(channel.say(call, "what is my checking balance")) for call in calls[:2]]
    await asyncio.sleep(1.5)
    assert not any(t.done() for t in held)
    status, headers = await channel.start("call-new")
    assert status == 503 and headers["Retry-After"] == "3"
    # A new phone call is turned away the way a carrier understands: a busy reject.
    assert await channel.incoming_phone_call() == 200
    assert connector.acs.answered == []
    rejects = [r["body"] for r in connector.acs.requests if r["url"].split("?")[0].endswith(":reject")]
    assert [r["callRejectReason"] for r in rejects] == ["busy"]
    in_progress = asyncio.create_task(channel.say(calls[2], "what is my checking balance"))
    await asyncio.sleep(0.5)
    connector.gate.set()
    assert [(await t)[0] for t in held] == [201, 201]
    assert (await in_progress)[0] < 300  # a turn of a call in progress is never shed
    assert len(connector.replies[calls[2]]) >= 2  # ...and was answered
    status, _ = await channel.start("call-new")  # the load has passed: the same caller gets in
    assert status < 300
    assert connector.replies.get("call-new")


@pytest.mark.parametrize(
    "bot",
    [{"max_in_flight_turns": 0, "max_event_loop_lag_ms": 1000, "lag_window_seconds": 1.0}],
    indirect=True,
)
async def test_event_loop_lag_sheds_new_calls_only(bot) -> None:
    channel, _ = bot
    known = f"call-{uuid.uuid4().hex[:6]}"
    assert (await channel.start(known))[0] < 300
    loop = asyncio.get_running_loop()
    loop.call_soon(time.sleep, 1.5)  # CPU work on the loop: the probe sees a 1.5 s lag
    await asyncio.sleep(0.2)
    status, headers = await channel.start(f"call-{uuid.uuid4().hex[:6]}")
    assert status == 503 and int(headers["Retry-After"]) > 0
    assert (await channel.say(known, "what is my checking balance"))[0] < 300
    await asyncio.sleep(1.5)  # past the lag window
    assert (await channel.start(f"call-{uuid.uuid4().hex[:6]}"))[0] < 300
