"""Real espeak speech through /ws/media into the real bot (app.create_app) on the embedded speech engines."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestServer

from adapters.acs.simulator import run_call
from tests.support.speech_fixtures import make_speech_pcm
from tests.voice.harness import rms

pytest.importorskip("services.speech.factory")
app_module = pytest.importorskip("app")


@pytest.fixture
async def bot_server(settings):
    from services.speech.factory import create_stt, create_tts

    app = await app_module.create_app(settings)
    services = app[app_module.SERVICES_KEY]
    if services.stt is None:
        services.stt, services.tts = create_stt(settings), create_tts(settings)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


async def test_lost_credit_card_speech_reaches_the_block_card_flow(bot_server) -> None:
    url = str(bot_server.make_url("/ws/media")).replace("http://", "ws://")
    speech = make_speech_pcm("I lost my credit card", "en-US", lead_ms=200, noise_db=-60)
    result = await run_call(url, speech, caller="+14255550100", timeout_s=20)
    print(result.caller_text, result.replies, result.timings())
    assert result.caller_text and "card" in result.caller_text[0].lower()
    assert len(result.replies) >= 2, "greeting and an answer"
    assert rms(bytes(result.audio)) > 300, "reply audio is not silent"
    answer = " ".join(result.replies[1:]).lower()
    # The block-card flow identifies the caller first (PIN / customer number), then asks which card.
    assert "didn't get that" not in answer, answer
    assert any(word in answer for word in ("block", "card", "pin", "customer number")), answer
