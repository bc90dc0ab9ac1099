"""A stage of one's own, inserted into a call's list of stages: the caller hears its effect."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from tests.support.stage_harness import run_stage
from tests.support.voice_relay import RelaySpeechToText, RelayTextToSpeech
from tests.voice.test_pipeline_units import SILENCE, SPEECH, Sink, feed
from voice.call import VoiceEngines, build_call
from voice.frames import CallAction, InputHint, Outgoing, Say, UtteranceTurn
from voice.settings import VoiceSettings
from voice.stages.base import Stage
from voice.stages.bot_turn import BotTurnStage
from voice.stages.output import OutputStage


class SpokenTts:
    """The relay TTS, remembering every text it was asked to speak."""

    def __init__(self) -> None:
        self.spoken: list[str] = []
        self._tts = RelayTextToSpeech(first_frame_s=0.0, ms_per_char=20)

    async def synthesize(self, ssml_or_text: str, locale: str) -> AsyncIterator[bytes]:
        self.spoken.append(ssml_or_text)
        async for chunk in self._tts.synthesize(ssml_or_text, locale):
            yield chunk


class EchoBot:
    def __init__(self) -> None:
        self.heard: list[str] = []
        self.say = lambda prompt: None

    async def on_utterance(self, text: str, language: str) -> None:
        self.heard.append(text)
        self.say(Say(f"You said {text}, darn it.", language, InputHint.EXPECTING))

    async def on_dtmf(self, digits: str) -> None:
        self.heard.append(f"keys {digits}")

    async def on_silence_timeout(self, count: int) -> None:
        self.heard.append(f"silence {count}")
        self.say(Say("Are you still there?", "en-US", InputHint.EXPECTING))

    async def on_speech_unrecognised(self, count: int) -> None:
        self.heard.append(f"unrecognised {count}")


class BleepWords(Stage[Outgoing]):
    """A text stage: words on a list are never spoken to the caller."""

    accepts = (Outgoing,)

    def __init__(self, words: set[str]) -> None:
        super().__init__()
        self.words = words

    async def process(self, frame: Outgoing) -> None:
        if isinstance(frame.item, Say):
            text = " ".join("beep" if w.strip(",.") in self.words else w for w in frame.item.text.split())
            frame = replace(frame, item=replace(frame.item, text=text))
        self.push(frame)


class SlowRewrite(Stage[Outgoing]):
    """A text stage that takes its time (a translation service, say)."""

    accepts = (Outgoing,)

    async def process(self, frame: Outgoing) -> None:
        await asyncio.sleep(0.3)
        self.push(frame)


class Subtitles(Stage[UtteranceTurn]):
    """A transcript stage between recognition and the bot: sees each utterance and passes it on."""

    accepts = (UtteranceTurn,)

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    async def process(self, frame: UtteranceTurn) -> None:
        self.lines.append(frame.text)
        self.push(frame)


async def test_a_text_stage_added_to_the_list_changes_what_the_caller_hears() -> None:
    tts, bot, sink = SpokenTts(), EchoBot(), Sink()
    engines = VoiceEngines(RelaySpeechToText("hello", delay_s=0.0), tts)
    call = build_call(engines, sink, bot, is_speech=lambda frame: frame[0] != 0)
    bot.say = call.say
    call.insert_before(OutputStage, BleepWords({"darn"}))
    call.start()
    await feed(call, [SPEECH] * 10 + [SILENCE] * 35)
    await asyncio.sleep(0.3)
    assert bot.heard == ["hello"]
    assert tts.spoken == ["You said hello, beep it."]
    assert sink.audio > 0, "the rewritten prompt was played"
    await call.close()


async def test_a_stage_sees_only_the_frames_it_accepts_and_the_bot_still_gets_them() -> None:
    bot, sink, subtitles = EchoBot(), Sink(), Subtitles()
    engines = VoiceEngines(RelaySpeechToText("hello", delay_s=0.0), SpokenTts())
    call = build_call(engines, sink, bot, is_speech=lambda frame: frame[0] != 0)
    bot.say = call.say
    call.insert_before(BotTurnStage, subtitles)
    call.start()
    await feed(call, [SPEECH] * 10 + [SILENCE] * 35)
    for digit in "42#":
        call.push_dtmf(digit)
    await asyncio.sleep(0.3)
    assert subtitles.lines == ["hello"], "keys pass the transcript stage by"
    assert bot.heard == ["hello", "keys 42"]
    await call.close()


async def test_a_text_stage_alone_rewrites_prompts_and_passes_call_actions_unchanged() -> None:
    async def hang_up() -> None:
        return None

    goodbye = Outgoing(CallAction("hang_up", hang_up), None, 0)
    out = await run_stage(BleepWords({"darn"}), [Outgoing(Say("Darn, darn it.", "en-US"), None, 0), goodbye])
    assert [o.item.text if isinstance(o.item, Say) else o.item.name for o in out] == [
        "Darn, beep it.",
        "hang_up",
    ]


async def test_no_reprompt_while_a_prompt_is_still_in_a_slow_stage() -> None:
    tts, bot, sink = SpokenTts(), EchoBot(), Sink()
    engines = VoiceEngines(RelaySpeechToText("hello", delay_s=0.0), tts, VoiceSettings(no_input_seconds=0.4))
    call = build_call(engines, sink, bot, is_speech=lambda frame: frame[0] != 0)
    bot.say = call.say
    call.insert_before(OutputStage, SlowRewrite())

    async def greet() -> None:
        call.say(Say("One.", "en-US", InputHint.EXPECTING))
        call.say(Say("Two: a longer prompt that takes over a second to play.", "en-US", InputHint.EXPECTING))

    call.start()
    call.run_turn(greet)
    await asyncio.sleep(1.0)  # "One." played by 0.35 s; "Two" reached the output at 0.6 s and is playing
    assert tts.spoken[:2] == ["One.", "Two: a longer prompt that takes over a second to play."]
    assert bot.heard == [], "no 'are you still there?' while the second prompt was on its way"
    await call.close()


@pytest.mark.parametrize("cut_in", ["speech", "key"])
async def test_barge_in_also_drops_the_prompts_a_slow_stage_holds(cut_in: str) -> None:
    tts, bot, sink = SpokenTts(), EchoBot(), Sink()
    engines = VoiceEngines(RelaySpeechToText("hello", delay_s=0.0), tts)
    call = build_call(engines, sink, bot, is_speech=lambda frame: frame[0] != 0)
    bot.say = call.say
    call.insert_before(OutputStage, SlowRewrite())
    first = "A first prompt long enough for the caller to cut in."

    async def greet() -> None:
        for text in (first, "A second prompt.", "A third prompt."):
            call.say(Say(text, "en-US"))

    call.start()
    call.run_turn(greet)
    await asyncio.sleep(0.45)  # the first plays; the second is in the slow stage, the third in its inbox
    if cut_in == "speech":
        await feed(call, [SPEECH] * 5, realtime=True)
        await feed(call, [SILENCE] * 35)
    else:
        for key in "1#":
            call.push_dtmf(key)
            await asyncio.sleep(0.1)
    await asyncio.sleep(0.8)
    assert sink.stops == 1
    reply = ["You said hello, darn it."] if cut_in == "speech" else []
    assert tts.spoken == [first, *reply]
    await call.close()
