"""/readyz: 503 until the speech models are warm, so the first call's first turn pays no model loading."""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp.test_utils import TestServer

from app import SERVICES_KEY, create_app
from tests.support.bot_harness import make_test_settings
from tests.support.voice_relay import RelayTextToSpeech
from voice.prompt_cache import PromptAudioCache


class SlowLoadingStt:
    """A speech engine whose models are still loading until ``loaded`` is set (a 145 MB whisper load)."""

    def __init__(self) -> None:
        self.loaded = asyncio.Event()

    async def warm_up(self) -> None:
        await self.loaded.wait()


async def test_readyz_answers_503_until_speech_is_warm_then_200(tmp_path, knowledge_index_dir) -> None:
    settings = make_test_settings(tmp_path, knowledge_index_dir, voice={"warm_up_speech": True})
    app = await create_app(settings)  # NLU and the knowledge index are warmed here
    services = app[SERVICES_KEY]
    stt = services.stt = SlowLoadingStt()
    # the fixed prompts are rendered before 200 too: a quick engine keeps this test about speech models
    services.tts = PromptAudioCache(
        RelayTextToSpeech(first_frame_s=0.0, ms_per_char=1), services.replies.fixed_speech()
    )
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(server.make_url("/readyz")) as response:
                body = await response.json()
                assert response.status == 503, body
                assert body["checks"]["speech"] is False, body
            stt.loaded.set()
            status = 0
            for _ in range(50):
                async with http.get(server.make_url("/readyz")) as response:
                    status, body = response.status, await response.json()
                if status == 200:
                    break
                await asyncio.sleep(0.02)
            assert status == 200 and body["checks"]["speech"] is True, body
    finally:
        await server.close()
