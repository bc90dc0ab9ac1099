"""A caller the instance cannot take now (over its call cap) hears the busy message and is let go, never a
silent refusal; the message was rendered at start-up, so refusing costs no synthesis."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

import app as app_module
from adapters.acs.simulator import open_call
from tests.support.bot_harness import make_test_settings
from tests.support.voice_relay import RelaySpeechToText, RelayTextToSpeech


async def test_a_softphone_over_the_cap_hears_the_busy_message_then_the_line_closes(
    tmp_path, knowledge_index_dir, trained_recognizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = RelayTextToSpeech(first_frame_s=0.0, ms_per_char=5)
    monkeypatch.setattr(app_module, "create_tts", lambda settings: engine)
    voice = {"warm_up_speech": False, "max_softphone_calls": 1}
    app = await app_module.create_app(
        make_test_settings(tmp_path, knowledge_index_dir, voice=voice), trained_recognizer
    )
    app[app_module.SERVICES_KEY].stt = RelaySpeechToText("")
    engine.first_frame_s = 60.0  # a synthesis now would never finish within this test
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        url = str(server.make_url("/ws/media")).replace("http://", "ws://")
        async with aiohttp.ClientSession() as http:
            first = await open_call(http, url, "+14255550123", "es-MX")
            second = await open_call(http, url, "+14255550124", "es-MX")
            await second.listen_until_quiet(quiet_s=0.5, timeout_s=10.0)
            for _ in range(100):
                if second.closed:
                    break
                await second.silence(0.05)
            await first.hang_up()
    finally:
        await server.close()
    assert second.result.replies and "ocupadas" in second.result.replies[0], second.result.replies
    assert len(second.result.audio_frames) >= 25  # half a second of the message at least
    assert second.result.closed_by_server
