"""Every way a call ends leaves nothing behind: the registry is empty and nothing holds the call's bridge."""

from __future__ import annotations

import asyncio
import gc
import socket
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from adapters.acs.media_messages import audio_data_in, audio_metadata_in
from adapters.acs.media_ws import REGISTRY_KEY
from adapters.acs.simulator import open_call
from tests.support.fake_acs import FakeCallAutomationService
from tests.support.speech_fixtures import make_speech_pcm
from tests.support.voice_relay import RelaySpeechToText, RelayTextToSpeech
from tests.voice.conftest import SECRET
from tests.voice.harness import RecordingBot
from tests.voice.test_call_flow import CALLER, wait_for, ws_url
from tests.voice.test_garbage_and_webhooks import INCOMING


@dataclass
class Line:
    """The call app and what stands around it: ACS (fake transport) and the test's bot."""

    server: Any
    http: aiohttp.ClientSession
    acs_openid: Any
    acs: FakeCallAutomationService
    bot: RecordingBot


class PhoneCall:
    """One answered ACS call: its media socket and its callback URL, as ACS would use them."""

    def __init__(self, line: Line) -> None:
        self.line = line

    async def connect(self) -> None:
        server = self.line.server
        headers = {"X-Contoso-Event-Secret": SECRET}
        async with self.line.http.post(
            server.make_url("/api/calls/incoming"), json=[INCOMING], headers=headers
        ):
            pass
        self.record = server.app[REGISTRY_KEY].by_connection("conn-1")
        url = str(server.make_url(f"/ws/media?call={self.record.media_token}")).replace("http://", "ws://")
        self.ws = await self.line.http.ws_connect(url)
        await self.ws.send_str(audio_metadata_in())

    async def say(self, text: str) -> None:
        pcm = make_speech_pcm(text, "en-US")
        for i in range(0, len(pcm), 640):
            await self.ws.send_str(audio_data_in(pcm[i : i + 640].ljust(640, b"\0")))
        for _ in range(60):  # line silence at real time: the end of the utterance
            await self.ws.send_str(audio_data_in(b"\0" * 640))
            await asyncio.sleep(0.02)

    async def event(self, kind: str) -> None:
        url = self.line.server.make_url("/api/calls/events").with_query(call=self.record.callback_token)
        body = [
            {
                "id": f"e-{kind}",
                "type": f"Microsoft.Communication.{kind}",
                "data": {"callConnectionId": "conn-1"},
            }
        ]
        async with self.line.http.post(url, json=body, headers=self.line.acs_openid.headers()) as resp:
            assert resp.status == 200


Ending = Callable[[], Awaitable[None]]


async def _caller_hangs_up(line: Line) -> Ending:
    call = await open_call(line.http, ws_url(line.server), CALLER)
    assert await call.listen_until_quiet(quiet_s=0.3)
    return call.hang_up


async def _bot_hangs_up(line: Line) -> Ending:
    call = await open_call(line.http, ws_url(line.server), CALLER)
    assert await call.listen_until_quiet(quiet_s=0.3)

    async def goodbye() -> None:
        await call.say(make_speech_pcm("bye", "en-US"))
        await call.listen_until_quiet(quiet_s=0.5, timeout_s=5)
        assert await wait_for(lambda: call.closed), "the bot hung up"

    return goodbye


async def _transfer(line: Line) -> Ending:
    phone = PhoneCall(line)
    await phone.connect()

    async def transferred() -> None:
        await phone.say("I want an agent")
        assert await wait_for(lambda: any(":transferToParticipant" in r["url"] for r in line.acs.requests))
        await phone.event("CallTransferAccepted")
        assert await wait_for(lambda: line.bot.named("handoff.status")), "the bot heard the outcome"
        await phone.ws.close()  # the caller is with the agent: ACS stops the bot's media stream

    return transferred


async def _media_socket_drops(line: Line) -> Ending:
    phone = PhoneCall(line)
    await phone.connect()

    async def drop() -> None:
        phone.ws.get_extra_info("socket").shutdown(socket.SHUT_RDWR)  # the network goes: no closing handshake

    return drop


async def _call_disconnected(line: Line) -> Ending:
    phone = PhoneCall(line)
    await phone.connect()

    async def disconnected() -> None:
        await phone.event("CallDisconnected")
        registry = line.server.app[REGISTRY_KEY]
        assert len(registry) == 0 and registry.bridges() == [], "forgotten before the media socket closes"
        assert await wait_for(lambda: line.bot.received[-1].type == "endOfConversation")
        await phone.ws.close()  # then ACS closes the media stream

    return disconnected


ENDINGS = {
    "caller hangs up": _caller_hangs_up,
    "bot hangs up": _bot_hangs_up,
    "transfer": _transfer,
    "media socket drops": _media_socket_drops,
    "ACS CallDisconnected": _call_disconnected,
}


@pytest.mark.parametrize("ending", list(ENDINGS))
async def test_a_call_that_ends_leaves_no_bridge_behind(start_server, acs_openid, ending: str) -> None:
    bot = RecordingBot(greeting="Hi.")
    acs = FakeCallAutomationService()
    stt = RelaySpeechToText("bye" if ending == "bot hangs up" else "I want an agent")
    server = await start_server(bot, stt, RelayTextToSpeech(), acs_client=acs.client())
    registry = server.app[REGISTRY_KEY]
    async with aiohttp.ClientSession() as http:
        end = await ENDINGS[ending](Line(server, http, acs_openid, acs, bot))
        assert await wait_for(lambda: len(registry.bridges()) == 1), "the call is live"
        bridge = weakref.ref(registry.bridges()[0])
        await end()
        assert await wait_for(lambda: len(registry) == 0 and registry.bridges() == [])
    if ending == "transfer":
        assert [a.value["state"] for a in bot.named("handoff.status")] == ["completed"]
    if ending != "bot hangs up":
        assert await wait_for(lambda: bot.received[-1].type == "endOfConversation"), "the bot heard the end"
    gc.collect()
    assert bridge() is None, [type(r).__name__ for r in gc.get_referrers(bridge())]


async def test_the_media_socket_is_closed_when_acs_reports_the_call_over(start_server, acs_openid) -> None:
    """ACS may go on streaming for a moment after CallDisconnected: the bot stops listening and closes."""
    bot = RecordingBot(greeting="Hi.")
    acs = FakeCallAutomationService()
    server = await start_server(bot, RelaySpeechToText("hello"), RelayTextToSpeech(), acs_client=acs.client())
    async with aiohttp.ClientSession() as http:
        phone = PhoneCall(Line(server, http, acs_openid, acs, bot))
        await phone.connect()
        await phone.event("CallDisconnected")
        await phone.ws.send_str(audio_data_in(b"\0" * 640))  # a late frame still on its way
        async with asyncio.timeout(5):
            while (await phone.ws.receive()).type not in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSING,
                aiohttp.WSMsgType.CLOSED,
            ):
                pass
        assert phone.ws.closed or phone.ws.close_code is not None
