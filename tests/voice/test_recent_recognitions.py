"""Words judged at a pause are recognised once: the bot's turn on the same words reuses the answer."""

from __future__ import annotations

import asyncio

import pytest
from botbuilder.core import RecognizerResult

from recognizers.base import CallerRecognizer, RecognizerUnavailable, build_result
from voice.recent_recognitions import RecentRecognitions


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
    at_pause = await recent.recognize_text("what is my balance ", "en-US")
    in_turn = await recent.recognize_text("what is my balance", "en-US")
    assert inner.calls == [("what is my balance", "en-US")]
    assert in_turn.intents["CheckBalance"].score == 0.9
    in_turn.entities = {}  # the bot's turn edits its copy: the pause's answer is untouched
    assert at_pause.entities == {"account_type": ["savings"]}


async def test_a_turn_waits_for_the_recognition_already_under_way() -> None:
    inner = CountingRecognizer(delay_s=0.05)
    recent = RecentRecognitions(inner)
    first, second = await asyncio.gather(
        recent.recognize_text("block my card", "en-US"), recent.recognize_text("block my card", "en-US")
    )
    assert len(inner.calls) == 1 and first.text == second.text == "block my card"


async def test_a_judge_that_gives_up_leaves_the_answer_to_the_turn() -> None:
    inner = CountingRecognizer(delay_s=0.05)
    recent = RecentRecognitions(inner)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await recent.recognize_text("block my card", "en-US")
    assert (await recent.recognize_text("block my card", "en-US")).text == "block my card"
    assert len(inner.calls) == 1


async def test_other_words_another_language_hint_or_an_old_answer_are_recognised_afresh() -> None:
    inner = CountingRecognizer()
    recent = RecentRecognitions(inner, ttl_s=0.05)
    await recent.recognize_text("what is my balance", "en-US")
    await recent.recognize_text("what is my balance", None)
    await recent.recognize_text("block my card", "en-US")
    await asyncio.sleep(0.1)
    await recent.recognize_text("what is my balance", "en-US")
    assert len(inner.calls) == 4


async def test_a_failure_is_not_remembered() -> None:
    inner = CountingRecognizer(fail=1)
    recent = RecentRecognitions(inner)
    with pytest.raises(RecognizerUnavailable):
        await recent.recognize_text("what is my balance", "en-US")
    assert (await recent.recognize_text("what is my balance", "en-US")).text == "what is my balance"
    assert len(inner.calls) == 2
