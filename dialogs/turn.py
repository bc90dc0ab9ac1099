"""What the bot learned about the current turn, shared between the bot and its dialogs."""

from __future__ import annotations

from botbuilder.core import RecognizerResult, TurnContext

_RESULT_KEY = "voicebot.recognizer_result"


def remember_recognition(turn_context: TurnContext, result: RecognizerResult) -> None:
    turn_context.turn_state[_RESULT_KEY] = result


def recognition(turn_context: TurnContext) -> RecognizerResult | None:
    """The recognizer's result for this turn's utterance (None for key presses and events)."""
    return turn_context.turn_state.get(_RESULT_KEY)
