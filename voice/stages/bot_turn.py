"""The bot-turn stage: one bot turn at a time, in order (utterances, key sequences, reprompts, the call's
own turns); the bot answers through ``CallPipeline.say``/``act``, which queue ``Outgoing`` frames."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from voice.frames import CallbackTurn, DtmfTurn, SilenceTurn, TurnFrame, UnrecognisedTurn, UtteranceTurn
from voice.stages.base import Stage

log = logging.getLogger(__name__)


class CallHandler(Protocol):
    """The bot side of the call: each method is one bot turn."""

    async def on_utterance(self, text: str, language: str) -> None: ...

    async def on_dtmf(self, digits: str) -> None: ...

    async def on_silence_timeout(self, count: int) -> None: ...

    async def on_speech_unrecognised(self, count: int) -> None:
        """``count`` utterances in a row could not be recognised (``VOICE__UNRECOGNISED_BEFORE_AGENT``)."""


class BotTurnStage(Stage[TurnFrame]):
    """Runs each turn frame through the ``CallHandler``; a failed turn is logged, the call goes on."""

    accepts = (UtteranceTurn, DtmfTurn, SilenceTurn, UnrecognisedTurn, CallbackTurn)
    name = "turn"
    terminal = True

    def __init__(self, handler: CallHandler) -> None:
        super().__init__()
        self.handler = handler

    async def process(self, frame: TurnFrame) -> None:
        call = self.call
        if isinstance(frame, SilenceTurn) and frame.onsets != call.onsets:
            return  # the caller spoke after the timer fired: no "are you still there?"
        call.turn_timing = frame.timing if isinstance(frame, UtteranceTurn) else None
        call.turn_onsets = call.onsets
        try:
            if isinstance(frame, UtteranceTurn):
                await self.handler.on_utterance(frame.text, frame.language)
            elif isinstance(frame, DtmfTurn):
                await self.handler.on_dtmf(frame.digits)
            elif isinstance(frame, SilenceTurn):
                await self.handler.on_silence_timeout(frame.count)
            elif isinstance(frame, UnrecognisedTurn):
                await self.handler.on_speech_unrecognised(frame.count)
            else:
                await frame.run()
        except asyncio.CancelledError:
            raise
        except Exception:
            # The edge of a turn: one failed turn must not end the call's pipeline.
            log.exception("bot turn failed", extra={"call_id": call.call_id, "turn": type(frame).__name__})
        finally:
            call.turn_timing = call.turn_onsets = None
