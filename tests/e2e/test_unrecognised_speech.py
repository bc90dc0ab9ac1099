"""The media pipeline's ``speech.unrecognised`` (the caller's speech could not be recognised several times
in a row), over the Bot Framework protocol: mid-task the call goes to an agent with the task's context; a
call already waiting for its agent is reminded so, never handed over twice."""

from __future__ import annotations

from typing import Any

from adapters.emulator import texts
from adapters.telephony import HANDOFF_INITIATE, SPEECH_UNRECOGNISED
from tests.e2e.test_conversation_understanding import CARLOS, CARLOS_PIN, bot, dial

__all__ = ["bot"]  # the fixture, imported for this module's tests


def handoffs(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in replies if r.get("name") == HANDOFF_INITIATE]


async def test_speech_never_recognised_mid_task_hands_the_call_over(bot) -> None:
    carlos = await dial(bot, CARLOS)
    await carlos.say("how much do I have in my accounts")
    assert "Which account" in await carlos.say(CARLOS_PIN)
    replies = await bot.event(carlos.call, SPEECH_UNRECOGNISED, {"count": 3})
    assert "trouble understanding" in " ".join(texts(replies))
    (handoff,) = handoffs(replies)
    assert handoff["value"]["Reason"] == "repeated_no_match"


async def test_speech_never_recognised_while_waiting_for_the_fraud_team_starts_no_second_handoff(bot) -> None:
    carlos = await dial(bot, CARLOS)
    assert "fraud team" in await carlos.say("someone used my card for charges I don't recognize")
    replies = await bot.event(carlos.call, SPEECH_UNRECOGNISED, {"count": 3})
    assert "still on the line for our fraud team" in " ".join(texts(replies))
    assert not handoffs(replies)
