"""Calls over /ws/media with relay STT/TTS (deterministic): turn-taking, barge-in, no-input, DTMF, hang-up."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from adapters.acs.media_ws import REGISTRY_KEY
from adapters.acs.simulator import open_call
from tests.support.speech_fixtures import make_speech_pcm
from tests.support.voice_relay import RelaySpeechToText, RelayTextToSpeech
from tests.voice.harness import RecordingBot, rms
from voice.settings import VoiceSettings

CALLER = "+14255550123"


def ws_url(server) -> str:
    return str(server.make_url("/ws/media")).replace("http://", "ws://")


async def wait_for(predicate, within_s: float = 5.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.02)
    return predicate()


@pytest.fixture
def speech() -> bytes:
    return make_speech_pcm("I lost my credit card", "en-US", trail_ms=0)


async def test_utterance_reaches_the_bot_as_a_message_from_the_caller(start_server, speech) -> None:
    bot = RecordingBot()
    server = await start_server(bot, RelaySpeechToText("I lost my credit card"), RelayTextToSpeech())
    async with aiohttp.ClientSession() as http:
        call = await open_call(http, ws_url(server), CALLER)
        assert await call.listen_until_quiet(quiet_s=0.5)
        await call.say(speech)
        assert await call.listen_until_quiet(quiet_s=0.5)
        await call.hang_up()
    first, message = bot.received[0], bot.received[1]
    assert first.type == "conversationUpdate" and first.members_added[0].id == CALLER
    assert message.type == "message" and message.text == "I lost my credit card"
    assert message.from_property.id == CALLER and message.channel_id == "acs"
    assert message.conversation.id.startswith("softphone-") and message.locale == "en-US"
    assert call.result.replies == [bot.greeting, "You said I lost my credit card."]
    assert call.result.caller_text == ["I lost my credit card"]
    assert rms(bytes(call.result.audio)) > 1000


async def test_caller_speech_during_a_prompt_stops_playback_within_200_ms(start_server, speech) -> None:
    bot = RecordingBot(greeting="Welcome to Contoso Bank. " * 6)  # ~9 s of prompt
    server = await start_server(bot, RelaySpeechToText("I lost my credit card"), RelayTextToSpeech())
    async with aiohttp.ClientSession() as http:
        call = await open_call(http, ws_url(server), CALLER)
        await call.silence(1.0)
        assert call.result.audio_frames, "the greeting is playing"
        talk_start = time.monotonic()
        await call.say(speech)
        await call.listen_until_quiet(quiet_s=0.5)
        await call.hang_up()
    assert len(call.result.barge_in_ms) == 1 and call.result.barge_in_ms[0] < 200, call.result.barge_in_ms
    assert call.result.stop_audio, "StopAudio was sent"
    stop_at = call.result.stop_audio[0]
    onset_to_stop_ms = (stop_at - talk_start) * 1000
    assert onset_to_stop_ms < 200 + 60, onset_to_stop_ms  # 60 ms is the VAD onset itself
    greeting_frames_after_stop = [t for t in call.result.audio_frames if stop_at + 0.05 < t < stop_at + 0.3]
    assert not greeting_frames_after_stop, "greeting audio kept coming after StopAudio"
    assert bot.texts() == ["I lost my credit card"]


async def test_silence_after_a_question_sends_silence_timeout_events(start_server) -> None:
    bot = RecordingBot(greeting="How can I help?")
    voice = VoiceSettings(no_input_seconds=0.6)
    server = await start_server(bot, RelaySpeechToText(), RelayTextToSpeech(), voice=voice)
    async with aiohttp.ClientSession() as http:
        call = await open_call(http, ws_url(server), CALLER)
        await call.silence(4.5)
        await call.hang_up()
    counts = [a.value["count"] for a in bot.named("silence.timeout")]
    assert counts[:2] == [1, 2]
    assert call.result.replies[:2] == ["How can I help?", "Are you still there?"]


async def test_dtmf_pin_arrives_as_one_message_with_a_dtmf_entity(start_server) -> None:
    bot = RecordingBot(greeting="Enter your PIN.")
    server = await start_server(bot, RelaySpeechToText(), RelayTextToSpeech())
    async with aiohttp.ClientSession() as http:
        call = await open_call(http, ws_url(server), CALLER)
        await call.listen_until_quiet(quiet_s=0.3)
        await call.dtmf("4321#")
        await call.listen_until_quiet(quiet_s=0.3)
        await call.hang_up()
    dtmf = [a for a in bot.received if a.type == "message"]
    assert [a.text for a in dtmf] == ["4321"]
    assert [e.type for e in dtmf[0].entities] == ["DTMF"]
    assert call.result.replies[-1] == "I got 4 digits."


async def test_caller_hang_up_mid_prompt_ends_the_conversation_and_cleans_up(start_server) -> None:
    bot = RecordingBot(greeting="Welcome to Contoso Bank. " * 6)
    server = await start_server(bot, RelaySpeechToText(), RelayTextToSpeech())
    async with aiohttp.ClientSession() as http:
        call = await open_call(http, ws_url(server), CALLER)
        await call.silence(0.6)
        await call.hang_up()
    assert await wait_for(lambda: bot.received and bot.received[-1].type == "endOfConversation"), [
        a.type for a in bot.received
    ]
    assert await wait_for(lambda: len(server.app[REGISTRY_KEY]) == 0)
    assert server.app[REGISTRY_KEY].bridges() == []


async def test_bot_end_of_conversation_hangs_up_after_the_goodbye(start_server, speech) -> None:
    bot = RecordingBot(greeting="Hi.")
    server = await start_server(bot, RelaySpeechToText("bye"), RelayTextToSpeech())
    async with aiohttp.ClientSession() as http:
        call = await open_call(http, ws_url(server), CALLER)
        await call.listen_until_quiet(quiet_s=0.3)
        await call.say(speech)
        await call.listen_until_quiet(quiet_s=0.5, timeout_s=5)
        assert await wait_for(lambda: call.closed)
    assert call.result.replies[-1] == "Goodbye."
    assert not [a for a in bot.received if a.type == "endOfConversation"], "the bot ended it itself"
    assert await wait_for(lambda: len(server.app[REGISTRY_KEY]) == 0)


async def test_softphone_transfer_reports_handoff_status_to_the_bot(start_server, speech) -> None:
    bot = RecordingBot(greeting="Hi.")
    server = await start_server(bot, RelaySpeechToText("agent please"), RelayTextToSpeech())
    async with aiohttp.ClientSession() as http:
        call = await open_call(http, ws_url(server), CALLER)
        await call.listen_until_quiet(quiet_s=0.3)
        await call.say(speech)
        await call.listen_until_quiet(quiet_s=0.5)
        await call.hang_up()
    assert call.result.transfers and call.result.transfers[0]["target"] == "+14255550199"
    status = bot.named("handoff.status")
    assert status and status[0].value["state"] == "completed"


class HintRecordingStt(RelaySpeechToText):
    def __init__(self) -> None:
        super().__init__("perdí mi tarjeta de crédito", "es-MX")
        self.hints: list[str | None] = []

    def open_stream(self, locale_hint: str | None = None):
        self.hints.append(locale_hint)
        return super().open_stream(self.language)


async def test_caller_language_is_detected_first_then_kept(start_server, speech) -> None:
    bot = RecordingBot(greeting="Hi.")
    stt = HintRecordingStt()
    server = await start_server(bot, stt, RelayTextToSpeech())
    async with aiohttp.ClientSession() as http:
        call = await open_call(http, ws_url(server), CALLER)  # no lang: the caller's language is unknown
        await call.listen_until_quiet(quiet_s=0.3)
        for _ in range(2):
            await call.say(speech)
            await call.listen_until_quiet(quiet_s=0.3)
        await call.hang_up()
    assert stt.hints == [None, "es-MX"]
    assert [a.locale for a in bot.received if a.type == "message"] == ["es-MX", "es-MX"]
