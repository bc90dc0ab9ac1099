"""The real bot tells a call's own screen how far the caller is verified (a state only, never a name or
number): identified by the calling number at the greeting, verified once the PIN is right."""

from __future__ import annotations

import aiohttp

from adapters.acs.simulator import open_call
from app import SERVICES_KEY, create_app
from tests.support.demo_callers import CARLOS, CARLOS_PIN
from tests.support.speech_fixtures import make_speech_pcm
from tests.support.voice_relay import RelaySpeechToText, RelayTextToSpeech


async def test_the_softphone_learns_identified_then_verified(bot_settings, trained_recognizer) -> None:
    from aiohttp.test_utils import TestServer

    app = await create_app(bot_settings, trained_recognizer)
    services = app[SERVICES_KEY]
    services.stt = RelaySpeechToText("what is my savings balance")
    services.tts = RelayTextToSpeech(ms_per_char=5)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        url = str(server.make_url("/ws/media")).replace("http://", "ws://")
        async with aiohttp.ClientSession() as http:
            call = await open_call(http, url, CARLOS)
            assert await call.listen_until_quiet(quiet_s=1.0)
            assert call.result.caller_states[-1] == "identified"  # known number, no PIN yet
            await call.say(make_speech_pcm("what is my savings balance", "en-US", trail_ms=0))
            assert await call.listen_until_quiet(quiet_s=1.0)
            assert call.result.caller_states[-1] == "identified"
            await call.dtmf(CARLOS_PIN + "#")
            assert await call.listen_until_quiet(quiet_s=1.5)
            await call.hang_up()
    finally:
        await server.close()
    assert call.result.caller_states[-1] == "verified", call.result.replies
    assert set(call.result.caller_states) == {"identified", "verified"}
