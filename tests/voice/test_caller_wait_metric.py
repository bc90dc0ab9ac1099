"""The dashboard's caller wait is measured end to end on the server: from the caller's last voiced frame to
the first reply frame, covering every part (end-of-speech detection, STT, the bot, TTS) of each turn."""

from __future__ import annotations

import aiohttp

from adapters.acs.media_ws import SERVICES_KEY
from adapters.acs.simulator import open_call
from core.observability.metrics import VoicebotMetrics
from tests.support.speech_fixtures import make_speech_pcm
from tests.support.voice_relay import RelaySpeechToText, RelayTextToSpeech
from tests.voice.harness import RecordingBot


async def test_each_spoken_turn_records_the_whole_wait_and_its_parts(start_server) -> None:
    bot = RecordingBot(greeting="Hi.")
    server = await start_server(bot, RelaySpeechToText("I lost my credit card"), RelayTextToSpeech())
    metrics = server.app[SERVICES_KEY].metrics = VoicebotMetrics()
    speech = make_speech_pcm("I lost my credit card", "en-US", trail_ms=0)
    async with aiohttp.ClientSession() as http:
        call = await open_call(http, str(server.make_url("/ws/media")).replace("http", "ws"), "+14255550123")
        assert await call.listen_until_quiet(quiet_s=0.5)
        for _ in range(2):
            await call.say(speech)
            assert await call.listen_until_quiet(quiet_s=0.5)
        await call.hang_up()
    latency = metrics.snapshot()["summary"]["latency_ms"]
    assert latency["voice_to_voice"]["count"] == 2  # one per spoken turn, none for the greeting
    for turn in call.result.server_timings:  # the same TurnTiming the metrics were fed from
        parts = ("endpointing_ms", "stt_ms", "bot_ms", "tts_first_frame_ms")
        assert all(turn[part] >= 0 for part in parts)
        assert abs(turn["voice_to_voice_ms"] - sum(turn[part] for part in parts)) < 1
    whole = sorted(turn["voice_to_voice_ms"] for turn in call.result.server_timings)
    assert latency["voice_to_voice"]["max"] == whole[-1]
    assert latency["endpointing"]["count"] == latency["stt"]["count"] == 2
