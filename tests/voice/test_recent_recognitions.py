"""Words judged at a pause are recognised once: the bot's turn on the same words reuses the answer."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
from botbuilder.core import RecognizerResult

from recognizers.base import CallerRecognizer, RecognizerUnavailable, build_result
from tests.support.voice_relay import RelaySpeechToText, RelayTextToSpeech
from tests.voice.test_pipeline_units import SILENCE, SPEECH, Sink, feed
from voice.call import VoiceEngines, build_call
from voice.recent_recognitions import RecentRecognitions, within_call

T = TypeVar("T")


def in_call(coroutine: Coroutine[Any, Any, T], call_id: str = "call-1") -> asyncio.Task[T]:
    """Run as the call's pipeline runs its stages (and the bot's turns)."""
    return asyncio.create_task(coroutine, context=within_call(call_id))


class CountingRecognizer(CallerRecognizer):
    def __init__(self, delay_s: float = 0.0, fail: int = 0) -> None:
        self.calls: list[tuple[str, str | None]] = []
        self.delay_s, self.fail = delay_s, fail

    async def recognize_text(self, text: str, locale_hint: str | None = None) -> RecognizerResult:
        self.calls.append((text, locale_hint))
        await asyncio.sleep(self.delay_s)
        if self.fail:
            self.fail -= 1
            raise RecognizerUnavailable("down")
        return build_result(text, {"CheckBalance": 0.9, "None": 0.1}, {"account_type": ["savings"]}, "en")


async def test_the_same_words_a_moment_later_are_not_recognised_again() -> None:
    inner = CountingRecognizer()
    recent = RecentRecognitions(inner)
    at_pause = await in_call(recent.recognize_text("what is my balance ", "en-US"))
    in_turn = await in_call(recent.recognize_text("what is my balance", "en-US"))
    assert inner.calls == [("what is my balance", "en-US")]
    assert in_turn.intents["CheckBalance"].score == 0.9
    in_turn.entities = {}  # the bot's turn edits its copy: the pause's answer is untouched
    assert at_pause.entities == {"account_type": ["savings"]}


async def test_a_turn_waits_for_the_recognition_already_under_way() -> None:
    inner = CountingRecognizer(delay_s=0.05)
    recent = RecentRecognitions(inner)
    first, second = await asyncio.gather(
        in_call(recent.recognize_text("block my card", "en-US")),
        in_call(recent.recognize_text("block my card", "en-US")),
    )
    assert len(inner.calls) == 1 and first.text == second.text == "block my card"


async def test_a_judge_that_gives_up_leaves_the_answer_to_the_turn() -> None:
    inner = CountingRecognizer(delay_s=0.05)
    recent = RecentRecognitions(inner)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await in_call(recent.recognize_text("block my card", "en-US"))
    assert (await in_call(recent.recognize_text("block my card", "en-US"))).text == "block my card"
    assert len(inner.calls) == 1


async def test_other_words_another_language_hint_or_an_old_answer_are_recognised_afresh() -> None:
    inner = CountingRecognizer()
    recent = RecentRecognitions(inner, ttl_s=0.05)
    await in_call(recent.recognize_text("what is my balance", "en-US"))
    await in_call(recent.recognize_text("what is my balance", None))
    await in_call(recent.recognize_text("block my card", "en-US"))
    await asyncio.sleep(0.1)
    await in_call(recent.recognize_text("what is my balance", "en-US"))
    assert len(inner.calls) == 4


async def test_a_failure_is_not_remembered() -> None:
    inner = CountingRecognizer(fail=1)
    recent = RecentRecognitions(inner)
    with pytest.raises(RecognizerUnavailable):
        await in_call(recent.recognize_text("what is my balance", "en-US"))
    assert (await in_call(recent.recognize_text("what is my balance", "en-US"))).text == "what is my balance"
    assert len(inner.calls) == 2


async def test_two_callers_saying_the_same_words_are_each_recognised() -> None:
    inner = CountingRecognizer()
    recent = RecentRecognitions(inner)
    await in_call(recent.recognize_text("what is my balance", "en-US"), "call-1")
    await in_call(recent.recognize_text("what is my balance", "en-US"), "call-2")
    assert len(inner.calls) == 2


async def test_turns_outside_a_call_are_never_shared() -> None:
    """HTTP and Emulator turns: each conversation's words are recognised for it alone."""
    inner = CountingRecognizer()
    recent = RecentRecognitions(inner)
    await recent.recognize_text("what is my balance", "en-US")
    await recent.recognize_text("what is my balance", "en-US")
    assert len(inner.calls) == 2


class RecognisingBot:
    """A bot that recognises the caller's words twice per turn, as turn completion and the bot's turn do."""

    def __init__(self, recent: RecentRecognitions) -> None:
        self.recent = recent

    async def on_utterance(self, text: str, language: str) -> None:
        await self.recent.recognize_text(text, language)
        await self.recent.recognize_text(text, language)

    async def on_dtmf(self, digits: str) -> None:
        return None

    async def on_silence_timeout(self, count: int) -> None:
        return None

    async def on_speech_unrecognised(self, count: int) -> None:
        return None


async def test_in_a_call_the_words_are_recognised_once_and_never_for_another_call() -> None:
    inner = CountingRecognizer()
    recent = RecentRecognitions(inner)
    calls = []
    for call_id in ("call-a", "call-b"):
        engines = VoiceEngines(RelaySpeechToText("what is my balance", delay_s=0.0), RelayTextToSpeech())
        call = build_call(
            engines, Sink(), RecognisingBot(recent), call_id=call_id, is_speech=lambda f: f[0] != 0
        )
        call.start()
        calls.append(call)
    for call in calls:
        await feed(call, [SPEECH] * 10 + [SILENCE] * 35)
    await asyncio.sleep(0.3)
    assert len(inner.calls) == 2, "once per call: shared within the call's stages, not across calls"
    for call in calls:
        await call.close()
