"""The output stage: prompts to speech, paced to the caller, once the caller stops talking; call actions
(transfer, hang-up) run in order with them. Barge-in cancels the prompt playing and sends StopAudio."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

from services.speech.base import SpeechError, TextToSpeech
from voice.frames import CallAction, InputHint, Outgoing, Say, TurnTiming
from voice.player import PacedSender
from voice.stages.base import Stage
from voice.stages.context import CallContext

log = logging.getLogger(__name__)


class OutputStage(Stage[Outgoing]):
    """Last in every pipeline: ``Outgoing`` frames become audio on the sink (or a call action)."""

    accepts = (Outgoing,)
    name = "output"
    terminal = True

    def __init__(self, tts: TextToSpeech | None) -> None:
        super().__init__()
        self.tts = tts
        self._sender: PacedSender | None = None
        self._barge_task: asyncio.Task[None] | None = None

    def bind(self, call: CallContext) -> None:
        super().bind(call)
        self._sender = PacedSender(call.sink.send_audio, call.settings.playback_lead_frames, call.lateness)

    async def process(self, frame: Outgoing) -> None:
        call = self.call
        item = frame.item
        await call.caller_idle.wait()
        if isinstance(item, CallAction):
            try:
                await item.run()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("call action failed", extra={"call_id": call.call_id, "action": item.name})
            return
        if self._talked_over(item, frame.onsets):
            return
        call.play_hint = item.hint
        play = call.playback = asyncio.create_task(self._speak(item, frame.timing))
        await asyncio.wait([play])
        finished = not play.cancelled()
        if finished and item.hint is InputHint.EXPECTING and not call.prompt_waiting():
            call.arm_no_input()

    def _talked_over(self, prompt: Say, onsets: int) -> bool:
        """A prompt the caller started speaking over before it could play (barge-in before the first
        frame: a slow greeting, a reprompt racing the caller); dropped like a cut prompt would be."""
        call = self.call
        interruptible = prompt.hint not in (InputHint.IGNORING, InputHint.IGNORING_SPEECH)
        if onsets == call.onsets or not (interruptible and call.settings.barge_in):
            return False
        if prompt.hint is InputHint.EXPECTING:
            call.play_hint = InputHint.EXPECTING  # an empty utterance still arms the no-input timer
        log.info("prompt talked over before it played", extra={"call_id": call.call_id})
        return True

    def interrupt(self, onset_at: float) -> None:
        """Cut the prompt now: drop queued prompts, cancel synthesis/playback, then send StopAudio."""
        super().interrupt(onset_at)
        play = self.call.playback
        if play is None or play.done():
            return
        play.cancel()
        self._barge_task = asyncio.create_task(self._stop_audio(play, onset_at))

    async def _stop_audio(self, play: asyncio.Task[None], onset_at: float) -> None:
        call = self.call
        await call.sink.stop_audio()
        await asyncio.wait([play])
        latency = (time.monotonic() - onset_at) * 1000
        call.barge_in_ms.append(latency)
        await call.sink.send_event("BargeIn", {"latency_ms": round(latency, 1)})
        log.info("barge-in", extra={"call_id": call.call_id, "latency_ms": round(latency, 1)})

    async def _speak(self, prompt: Say, timing: TurnTiming | None) -> None:
        call = self.call
        await call.sink.send_event(
            "Transcript", {"role": "bot", "text": prompt.display_text or prompt.text, "final": True}
        )
        if self.tts is None or self._sender is None:
            log.error("no text-to-speech engine configured", extra={"call_id": call.call_id})
            return
        chunks: AsyncIterator[bytes] = self.tts.synthesize(prompt.text, prompt.locale)

        def first(at: float) -> None:
            if timing is not None and not timing.first_frame_at:
                timing.first_frame_at = at
                call.turns.append(timing)
                if call.on_turn_timing is not None:
                    call.on_turn_timing(timing)
                asyncio.get_running_loop().create_task(call.sink.send_event("Timings", timing.as_ms()))

        try:
            await self._sender.play(chunks, on_first=first)
        except SpeechError as exc:
            log.error("tts failed: %s", exc, extra={"call_id": call.call_id})
        finally:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()

    def background(self) -> list[asyncio.Task[None]]:
        return [t for t in (self.call.playback, self._barge_task) if t is not None]
