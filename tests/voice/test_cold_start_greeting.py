"""Many callers on a freshly started bot each hear the greeting at once, even when speech synthesis is slow
(a dozen syntheses queued on two cores, a distant Azure region): the greeting was rendered at start-up."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

import app as app_module
from adapters.acs.simulator import open_call
from tests.support.bot_harness import make_test_settings
from tests.support.voice_relay import RelaySpeechToText, RelayTextToSpeech

CALLS = 10
SLOW_SYNTHESIS_S = 4.0
HEARD_WITHIN_S = 2.0
"""Generous for audio kept in memory; below SLOW_SYNTHESIS_S, so a greeting synthesised per call fails."""


async def first_audio_after_connect(url: str) -> float | None:
    async with aiohttp.ClientSession() as http:
        started = time.monotonic()
        call = await open_call(http, url, "+14255550123")  # not a customer: the fixed greeting
        try:
            while time.monotonic() - started < SLOW_SYNTHESIS_S + 2 and not call.result.audio_frames:
                await call.silence(0.02)
        finally:
            await call.hang_up()
    frames = call.result.audio_frames
    return frames[0] - started if frames else None


async def test_concurrent_callers_on_a_fresh_bot_hear_the_greeting_without_waiting_for_synthesis(
    tmp_path, knowledge_index_dir, trained_recognizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    voice = {"warm_up_speech": False, "max_softphone_calls": CALLS}
    settings = make_test_settings(tmp_path, knowledge_index_dir, voice=voice)
    engine = RelayTextToSpeech(first_frame_s=0.0, ms_per_char=5)
    monkeypatch.setattr(app_module, "create_tts", lambda settings: engine)
    app = await app_module.create_app(settings, trained_recognizer)
    app[app_module.SERVICES_KEY].stt = RelaySpeechToText("")
    engine.first_frame_s = SLOW_SYNTHESIS_S  # from now on every synthesis is slow
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        url = str(server.make_url("/ws/media")).replace("http://", "ws://")
        heard = await asyncio.gather(*(first_audio_after_connect(url) for _ in range(CALLS)))
    finally:
        await server.close()
    assert all(t is not None and t < HEARD_WITHIN_S for t in heard), heard
