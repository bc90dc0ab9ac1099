"""One call's pipeline: a list of stages (``voice/stages/``) passing typed frames (``voice/frames.py``).

``build_call()`` (``voice/call.py``) lists the stages: input (audio filters + endpointer + DTMF, inline
in ``push_audio``) -> recognition -> bot turn -> output. Each later stage is a task with an inbox; a frame
goes to the next stage that accepts its type. Insert a stage of your own (``voice.stages.base.Stage``)
into ``pipeline.stages`` before ``start()``, or into the list in ``build_call()`` for every call.
Barge-in, the no-input timer and stale prompts are the call's shared state (``CallContext``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from voice.frames import CallAction, CallbackTurn, DtmfFrame, Outgoing, Say, TurnTiming
from voice.recent_recognitions import within_call
from voice.settings import VoiceSettings
from voice.stages.base import Stage
from voice.stages.bot_turn import CallHandler
from voice.stages.context import CallContext, MediaSink
from voice.stages.input import InputStage

__all__ = ["CallHandler", "CallPipeline", "MediaSink"]

log = logging.getLogger(__name__)


class CallPipeline:
    """The audio pipeline of one call. ``push_*`` are called by the transport; ``say``/``act`` by the bot."""

    def __init__(
        self,
        stages: Sequence[Stage[Any]],
        sink: MediaSink,
        settings: VoiceSettings,
        *,
        locale: str | None = None,
        locale_known: bool = True,
        call_id: str = "",
        on_turn_timing: Callable[[TurnTiming], None] | None = None,
    ) -> None:
        if not stages or not isinstance(stages[0], InputStage):
            raise TypeError("a call's pipeline starts with its InputStage")
        self.stages: list[Stage[Any]] = list(stages)
        """In order; change it before ``start()`` (``insert_before``)."""
        self._input = stages[0]
        self._call = CallContext(
            self.stages,
            self._input,
            sink,
            settings,
            locale=locale,
            locale_known=locale_known,
            call_id=call_id,
            on_turn_timing=on_turn_timing,
        )
        self._input.bind(self._call)
        self._tasks: list[asyncio.Task[None]] = []

    def insert_before(self, kind: type[Stage[Any]], stage: Stage[Any]) -> None:
        """Put ``stage`` just before the first stage of type ``kind`` (e.g. a text stage before output)."""
        at = next(i for i, s in enumerate(self.stages) if isinstance(s, kind))
        self.stages.insert(max(1, at), stage)
        self._call.restage()

    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        self._call.restage()  # the list may have been edited in place
        for stage in self.stages[1:]:
            stage.bind(self._call)
            # within_call: the call's recognitions are its own (voice/recent_recognitions.py)
            task = asyncio.create_task(
                stage.run(), name=f"voice-{stage.name}-{self.call_id}", context=within_call(self.call_id)
            )
            self._tasks.append(task)

    async def close(self) -> None:
        """Stop every stage and timer; safe to call twice."""
        if self.closed:
            return
        self._call.closed = True
        self._call.cancel_no_input()
        await self._input.stopped()
        background = [t for stage in self.stages[1:] for t in stage.background()]
        tasks = [t for t in [*self._tasks, *background] if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=2.0)
            for task in pending:
                log.error("stage did not stop: %s", task.get_name(), extra={"call_id": self.call_id})

    # ---- transport side --------------------------------------------------------------------------
    def push_audio(self, pcm: bytes) -> None:
        """Caller PCM of any length (the input stage re-cuts it into 20 ms frames)."""
        if not self.closed:
            self._input.audio(pcm, time.monotonic())

    def push_dtmf(self, digit: str) -> None:
        if not self.closed:
            self._input.key(DtmfFrame(digit, time.monotonic()))

    # ---- bot side --------------------------------------------------------------------------------
    def say(self, prompt: Say) -> None:
        """Queue a prompt; it plays after earlier ones and once the caller stops talking."""
        call = self._call
        call.cancel_no_input()
        timing = call.turn_timing
        if timing is not None and not timing.bot_reply_at:
            timing.bot_reply_at = time.monotonic()
        onsets = call.onsets if call.turn_onsets is None else call.turn_onsets
        call.deliver(Outgoing(prompt, timing, onsets))

    def act(self, action: CallAction) -> None:
        """Queue a call action (transfer, hang-up) to run after the prompts queued before it."""
        self._call.cancel_no_input()
        self._call.deliver(Outgoing(action, None, self._call.onsets))

    def run_turn(self, turn: Callable[[], Awaitable[None]]) -> None:
        """Queue a bot turn of the call's own (call start, a transfer's outcome) behind the others."""
        if not self.closed:
            self._call.deliver(CallbackTurn(turn))

    # ---- state -----------------------------------------------------------------------------------
    @property
    def sink(self) -> MediaSink:
        return self._call.sink

    @property
    def settings(self) -> VoiceSettings:
        return self._call.settings

    @property
    def call_id(self) -> str:
        return self._call.call_id

    @property
    def closed(self) -> bool:
        return self._call.closed

    @property
    def locale(self) -> str:
        return self._call.locale

    @locale.setter
    def locale(self, value: str) -> None:
        self._call.locale = value

    @property
    def locale_known(self) -> bool:
        """False until the caller's language is established: STT then gets no hint and detects it."""
        return self._call.locale_known

    @locale_known.setter
    def locale_known(self, value: bool) -> None:
        self._call.locale_known = value

    @property
    def busy(self) -> bool:
        """Frames still queued in some stage (speech, turns, prompts), or a prompt playing."""
        return any(not stage.inbox.empty() for stage in self.stages) or self.playing

    @property
    def playing(self) -> bool:
        return self._call.playing

    # Measurements (read by tests and benchmarks).
    @property
    def barge_in_ms(self) -> list[float]:
        return self._call.barge_in_ms

    @property
    def turns(self) -> list[TurnTiming]:
        return self._call.turns

    @property
    def lateness(self) -> list[float]:
        return self._call.lateness
