"""``CallContext``: what the stages of one call share (settings, sink, locale, speech onsets, barge-in,
the no-input timer) and the routing of frames between them."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Protocol

from locales.languages import default_locale
from voice.frames import InputHint, SilenceTurn, TurnTiming
from voice.settings import VoiceSettings
from voice.stages.base import is_outgoing

if TYPE_CHECKING:
    from collections.abc import Callable

    from voice.stages.base import Frame, Stage
    from voice.stages.input import InputStage

log = logging.getLogger(__name__)


class MediaSink(Protocol):
    """Where the pipeline's output goes (the media WebSocket)."""

    async def send_audio(self, pcm: bytes) -> None: ...

    async def stop_audio(self) -> None: ...

    async def send_event(self, kind: str, body: dict[str, Any]) -> None:
        """Side information (transcripts, timings) for clients that asked for it; may be a no-op."""


class CallContext:
    """One per call, owned by its ``CallPipeline``; every stage reads and signals through it."""

    def __init__(
        self,
        stages: list[Stage[Any]],
        input_stage: InputStage,
        sink: MediaSink,
        settings: VoiceSettings,
        *,
        locale: str | None = None,
        locale_known: bool = True,
        call_id: str = "",
        on_turn_timing: Callable[[TurnTiming], None] | None = None,
    ) -> None:
        self.stages = stages
        self.input = input_stage
        self._routes: dict[tuple[Stage[Any] | None, type], Stage[Any]] = {}
        """Who takes a frame type after a stage: found once (at 50 audio frames a second per call)."""
        self.sink, self.settings, self.call_id = sink, settings, call_id
        self.locale = locale or default_locale()
        self.locale_known = locale_known
        """False until the caller's language is established: STT then gets no hint and detects it."""
        self.on_turn_timing = on_turn_timing
        self.closed = False
        self.onsets = 0
        """Caller speech onsets so far: a prompt from a turn that began before the latest one is stale."""
        self.caller_idle = asyncio.Event()
        self.caller_idle.set()
        self.play_hint = InputHint.ACCEPTING
        """The input hint of the prompt playing (or last played): whether speech or keys may cut it."""
        self.playback: asyncio.Task[None] | None = None
        self.turn_timing: TurnTiming | None = None
        """The timing of the utterance the running bot turn answers (its first prompt stamps the reply)."""
        self.turn_onsets: int | None = None
        """``onsets`` when the running bot turn began: its prompts are stale once the caller speaks again."""
        self.no_input_count = 0
        self._no_input: asyncio.TimerHandle | None = None
        self.unrecognised_count = 0
        """Utterances in a row whose recognition failed (reset by one that was recognised)."""
        # Measurements (read by tests and benchmarks).
        self.barge_in_ms: list[float] = []
        self.turns: list[TurnTiming] = []
        self.lateness: list[float] = []

    # ---- routing ---------------------------------------------------------------------------------
    def deliver(self, frame: Frame, after: Stage[Any] | None = None) -> None:
        """Put ``frame`` in the inbox of the first stage after ``after`` (None: from the top) that
        accepts it."""
        key = (after, type(frame))
        target = self._routes.get(key)
        if target is None:
            start = 0 if after is None else self.stages.index(after) + 1
            target = next((s for s in self.stages[start:] if isinstance(frame, s.accepts)), None)
            if target is None:
                log.error("no stage takes %s", type(frame).__name__, extra={"call_id": self.call_id})
                return
            self._routes[key] = target
        target.inbox.put(frame)

    def restage(self) -> None:
        """The list of stages changed: route afresh."""
        self._routes.clear()

    @property
    def playing(self) -> bool:
        return self.playback is not None and not self.playback.done()

    def prompt_waiting(self) -> bool:
        """A prompt or call action on its way: queued in some stage, or in the hands of one (a slow text
        stage) that will pass it on to the output."""
        return any(
            stage.inbox.holds(is_outgoing) or (not stage.terminal and is_outgoing(stage.working))
            for stage in self.stages
        )

    def end_silence_for(self, pause_seq: int, silence_ms: int) -> None:
        """A turn-completion verdict, back up to the endpointer: pause ``pause_seq`` ends after
        ``silence_ms`` of silence."""
        self.input.endpointer.end_silence_for(pause_seq, silence_ms)

    # ---- barge-in --------------------------------------------------------------------------------
    def barge_in(self, onset_at: float) -> None:
        """The caller cut in over a prompt: every stage drops its queued prompts, playback stops."""
        if not self.playing:
            return
        for stage in self.stages:
            stage.interrupt(onset_at)

    # ---- no-input timer --------------------------------------------------------------------------
    def arm_no_input(self) -> None:
        self.cancel_no_input()
        if self.closed or self.settings.no_input_seconds <= 0:
            return
        loop = asyncio.get_running_loop()
        self._no_input = loop.call_later(self.settings.no_input_seconds, self._no_input_fired)

    def cancel_no_input(self) -> None:
        if self._no_input is not None:
            self._no_input.cancel()
            self._no_input = None

    def caller_spoke(self) -> None:
        """Speech or a key: the caller is there (no reprompt, and the reprompt count starts again)."""
        self.cancel_no_input()
        self.no_input_count = 0

    def _no_input_fired(self) -> None:
        self._no_input = None
        if self.closed or self.input.caller_active:
            return
        self.no_input_count += 1
        self.deliver(SilenceTurn(self.no_input_count, self.onsets))
