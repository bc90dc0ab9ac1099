"""Caller speech racing the bot's prompts (espeak-ng speech over /ws/media): reprompt, greeting."""

from __future__ import annotations

import asyncio

import pytest
from botbuilder.core import TurnContext

from tests.support.speech_fixtures import make_speech_pcm
from tests.support.voice_relay import RelaySpeechToText, RelayTextToSpeech
from tests.voice.harness import RecordingBot, espeak_available
from tests.voice.scenarios import speak_near_reprompt, talk_over_greeting
from voice.settings import VoiceSettings

pytestmark = pytest.mark.skipif(not espeak_available(), reason="espeak-ng is not installed")

GREETING = "Welcome to Contoso Bank. How can I help you today?"
NO_INPUT_S = 1.0
BOT_TURN_S = 0.4
"""A real bot turn (state read, dialogs, state write) takes this long on a busy box."""


class SlowBot(RecordingBot):
    """The recording bot with a real bot's turn time and a real reprompt ("are you still there?" + prompt)."""

    async def on_turn(self, turn_context: TurnContext) -> None:
        await asyncio.sleep(BOT_TURN_S)
        await super().on_turn(turn_context)

    async def on_event_activity(self, turn_context: TurnContext) -> None:
        if turn_context.activity.name == "silence.timeout":
            await turn_context.send_activity(self._reply(f"Are you still there? {self.greeting}"))


def ws_url(server) -> str:
    return str(server.make_url("/ws/media")).replace("http://", "ws://")


@pytest.fixture
def question() -> bytes:
    return make_speech_pcm("what is my balance", "en-US", trim=True, noise_db=-60)


async def test_speech_starting_around_the_reprompt_deadline_is_answered_promptly(start_server, question):
    offsets = [i / 20 for i in range(-6, 7)]  # -300 ms .. +300 ms from the no-input deadline
    voice = VoiceSettings(no_input_seconds=NO_INPUT_S, max_softphone_calls=len(offsets))
    server = await start_server(
        SlowBot(GREETING), RelaySpeechToText("what is my balance"), RelayTextToSpeech(), voice=voice
    )
    outcomes = await asyncio.gather(
        *(speak_near_reprompt(ws_url(server), question, NO_INPUT_S, o, "You said") for o in offsets)
    )
    for outcome in outcomes:
        assert outcome.answered, outcome
        # 600 ms end silence + the bot turn + TTS first frame; a reprompt played first would add ~4 s.
        assert outcome.speech_end_to_answer_s is not None and outcome.speech_end_to_answer_s < 2.5, outcome
        assert outcome.replies[-1] == "You said what is my balance.", outcome


async def test_caller_talking_over_the_greeting_gets_stop_audio_and_an_answer(start_server, question):
    voice = VoiceSettings(max_softphone_calls=2)
    server = await start_server(
        SlowBot(GREETING * 2), RelaySpeechToText("what is my balance"), RelayTextToSpeech(), voice=voice
    )
    outcome = await talk_over_greeting(ws_url(server), question, 1.0, "You said")
    assert outcome.onset_to_stop_s is not None and outcome.onset_to_stop_s < 1.0, outcome
    assert outcome.speech_end_to_reply_s is not None and outcome.speech_end_to_reply_s < 2.5, outcome


async def test_caller_speaking_before_the_greeting_plays_is_answered_without_it(start_server, question):
    voice = VoiceSettings(max_softphone_calls=2)
    server = await start_server(
        SlowBot(GREETING * 2), RelaySpeechToText("what is my balance"), RelayTextToSpeech(), voice=voice
    )
    outcome = await talk_over_greeting(ws_url(server), question, 0.0, "You said")
    # The greeting (~6 s of audio) was talked over before its first frame: the answer does not wait for it.
    assert outcome.speech_end_to_reply_s is not None and outcome.speech_end_to_reply_s < 2.5, outcome
    assert outcome.replies == ["You said what is my balance."], outcome
