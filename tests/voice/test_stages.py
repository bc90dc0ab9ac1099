"""The built-in stages one at a time (tests/support/stage_harness.py): frames in, frames and turns out."""

from __future__ import annotations

from typing import Any

from tests.support.stage_harness import run_stage, stage_call
from voice.frames import DtmfTurn, SilenceTurn, TurnTiming, UtteranceTurn
from voice.stages.bot_turn import BotTurnStage


class Bot:
    def __init__(self, fail_on: str = "") -> None:
        self.fail_on = fail_on
        self.turns: list[tuple[str, Any]] = []

    async def on_utterance(self, text: str, language: str) -> None:
        if text == self.fail_on:
            raise RuntimeError("the dialog broke")
        self.turns.append(("utterance", text))

    async def on_dtmf(self, digits: str) -> None:
        self.turns.append(("dtmf", digits))

    async def on_silence_timeout(self, count: int) -> None:
        self.turns.append(("silence", count))

    async def on_speech_unrecognised(self, count: int) -> None:
        self.turns.append(("unrecognised", count))


async def test_no_still_there_reprompt_when_the_caller_spoke_after_the_timer_fired() -> None:
    bot = Bot()
    stage = BotTurnStage(bot)
    call, _ = stage_call(stage)
    call.onsets = 1  # the caller started speaking after the first timer fired
    await run_stage(stage, [SilenceTurn(1, onsets=0), SilenceTurn(2, onsets=1)], call=call)
    assert bot.turns == [("silence", 2)]


async def test_a_failed_bot_turn_does_not_end_the_call() -> None:
    bot = Bot(fail_on="crash")
    await run_stage(
        BotTurnStage(bot),
        [
            UtteranceTurn("crash", "en-US", TurnTiming()),
            UtteranceTurn("balance", "en-US", TurnTiming()),
            DtmfTurn("1"),
        ],
    )
    assert bot.turns == [("utterance", "balance"), ("dtmf", "1")]
