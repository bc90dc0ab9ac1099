"""An answered ACS call tells the bot its call connection and server call ids (recording needs them)."""

from __future__ import annotations

import aiohttp

from adapters.acs.media_messages import audio_metadata_in
from adapters.acs.media_ws import REGISTRY_KEY
from tests.support.fake_acs import FakeCallAutomationService
from tests.voice.conftest import SECRET
from tests.voice.harness import RecordingBot
from tests.voice.test_call_flow import wait_for
from tests.voice.test_garbage_and_webhooks import INCOMING


async def test_the_bot_hears_the_acs_call_ids_in_channel_data(start_server) -> None:
    acs = FakeCallAutomationService()
    bot = RecordingBot()
    server = await start_server(bot, None, None, acs_client=acs.client())
    async with aiohttp.ClientSession() as http:
        url = server.make_url("/api/calls/incoming")
        async with http.post(url, json=[INCOMING], headers={"X-Contoso-Event-Secret": SECRET}) as resp:
            assert resp.status == 200
        token = server.app[REGISTRY_KEY].by_connection("conn-1").media_token
        ws = await http.ws_connect(
            str(server.make_url(f"/ws/media?call={token}")).replace("http://", "ws://")
        )
        await ws.send_str(audio_metadata_in())
        assert await wait_for(lambda: bot.received)
        await ws.close()
    assert bot.received[0].type == "conversationUpdate"
    assert bot.received[0].channel_data == {"callConnectionId": "conn-1", "serverCallId": "server-1"}
