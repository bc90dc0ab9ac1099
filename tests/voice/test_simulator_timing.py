"""The simulated caller's voice-to-voice figure (bench/voice_latency.py's caller_ms): from the last audible
frame it sent to the first audible frame it heard, so neither side's silence is counted as speech."""

from __future__ import annotations

import asyncio

import aiohttp
import numpy as np
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.acs.media_messages import audio_data_out
from adapters.acs.simulator import open_call
from services.speech.base import FRAME_BYTES

SILENT = b"\x00" * FRAME_BYTES
LOUD = (np.sin(np.arange(FRAME_BYTES // 2) / 3) * 8000).astype("<i2").tobytes()


async def test_silence_on_either_side_is_not_counted_as_the_reply() -> None:
    async def media(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        inbound = 0
        async for _ in ws:
            inbound += 1
            if inbound == 1 + 15:  # metadata + the caller's 15 frames: 5 voiced, 10 of trailing silence
                for _ in range(10):  # 200 ms of leading silence in the reply, then speech
                    await ws.send_str(audio_data_out(SILENT))
                    await asyncio.sleep(0.02)
                await ws.send_str(audio_data_out(LOUD))
        return ws

    app = web.Application()
    app.router.add_get("/ws/media", media)
    async with TestServer(app) as server, aiohttp.ClientSession() as http:
        call = await open_call(http, str(server.make_url("/ws/media")).replace("http", "ws"))
        await call.say(LOUD * 5 + SILENT * 10)  # real time: the voiced part ends 200 ms before the audio does
        await call.silence(0.6)
        await call.hang_up()
    measured = call.result.timings()["utterance1_voice_to_voice_ms"]
    assert 350 <= measured <= 1000, measured  # 200 ms of the caller's silence + 200 ms of the reply's
