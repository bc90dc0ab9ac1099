"""One call's turn-taking: frames -> audio filters -> endpointer -> STT -> bot turn -> TTS -> paced sender.

Input runs inline in ``push_audio``; STT, turn and output are tasks joined by queues of typed frames
(``voice/frames.py``; STYLE.md rule 4). Barge-in is an event: the input stage cancels the playback task
and sends StopAudio; queued prompts are dropped, queued call actions are kept. ``voice/call.py``
``build_call()`` assembles it; docs/ARCHITECTURE.md draws the whole path.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Protocol

from locales.languages import default_locale
from services.speech.base import FRAME_BYTES, SpeechError, SpeechToText, SttResult, TextToSpeech
from voice.dtmf import DtmfCollector
from voice.endpointer import EndpointEvent, Endpointing
from voice.filters import AudioFilter
from voice.frames import (
    AudioFrame,
    CallAction,
    CallbackTurn,
    DtmfFrame,
    DtmfTurn,
    InputHint,
    Outgoing,
    Say,
    SilenceTurn,
    SpeechAudio,
    SpeechEnded,
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
    TurnFrame,
    TurnTiming,
    UtteranceTurn,
)
from voice.player import PacedSender
from voice.recognition import UtteranceRecognizer
from voice.settings import VoiceSettings
from voice.turn_completion import TurnCompletion, Verdict

log = logging.getLogger(__name__)


class MediaSink(Protocol):
    """Where the pipeline's output goes (the media WebSocket)."""

    async def send_audio(self, pcm: bytes) -> None: ...

    async def stop_audio(self) -> None: ...

    async def send_event(self, kind: str, body: dict[str, Any]) -> None:
        """Side information (transcripts, timings) for clients that asked for it; may be a no-op."""


class CallHandler(Protocol):
    """The bot side of the call: each method is one bot turn."""

    async def on_utterance(self, text: str, language: str) -> None: ...

    async def on_dtmf(self, digits: str) -> None: ...

    async def on_silence_timeout(self, count: int) -> None: ...


class CallPipeline:
    """The audio pipeline of one call. ``push_*`` are called by the transport; ``say``/``act`` by the bot."""

    def __init__(
        self,
        sink: MediaSink,
        handler: CallHandler,
        *,
        stt: SpeechToText | None,
        tts: TextToSpeech | None,
        settings: VoiceSettings,
        endpointer: Endpointing,
        turn_completion: TurnCompletion,
        audio_filters: Sequence[AudioFilter] = (),
        locale: str | None = None,
        locale_known: bool = True,
        call_id: str = "",
        on_turn_timing: Callable[[TurnTiming], None] | None = None,
    ) -> None:
        self.settings = settings
        self.sink, self.handler, self.stt, self.tts = sink, handler, stt, tts
        self.locale = locale or default_locale()
        self.locale_known = locale_known
        """False until the caller's language is established: STT then gets no hint and detects it."""
        self.call_id = call_id
        self._on_turn_timing = on_turn_timing
        self._endpointer = endpointer
        self._completion = turn_completion
        self._last_partial = ""
        self._filters = tuple(audio_filters)
        self._dtmf = DtmfCollector(self.settings.dtmf_terminator, self.settings.dtmf_max_digits)
        self._stt_q: asyncio.Queue[EndpointEvent] = asyncio.Queue()
        self._turn_q: asyncio.Queue[TurnFrame] = asyncio.Queue()
        self._out_q: asyncio.Queue[Outgoing] = asyncio.Queue()
        self._caller_idle = asyncio.Event()
        self._caller_idle.set()
        self._tasks: list[asyncio.Task[None]] = []
        self._play_task: asyncio.Task[None] | None = None
        self._barge_task: asyncio.Task[None] | None = None
        self._play_hint = InputHint.ACCEPTING
        self._discard_utterance = False
        self._no_input: asyncio.TimerHandle | None = None
        self._dtmf_timer: asyncio.TimerHandle | None = None
        self._no_input_count = 0
        self._onsets = 0
        """Caller speech onsets so far: a prompt from a turn that began before the latest one is stale."""
        self._turn_onsets: int | None = None
        self._turn_timing: TurnTiming | None = None
        self._pending = b""
        self.closed = False
        # Measurements (read by tests and benchmarks).
        self.barge_in_ms: list[float] = []
        self.turns: list[TurnTiming] = []
        self.lateness: list[float] = []
        self._sender = PacedSender(self.sink.send_audio, self.settings.playback_lead_frames, self.lateness)

    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        for name, coro in (
            ("stt", self._stt_loop()),
            ("turn", self._turn_loop()),
            ("output", self._output_loop()),
        ):
            self._tasks.append(asyncio.create_task(coro, name=f"voice-{name}-{self.call_id}"))

    async def close(self) -> None:
        """Stop every stage and timer; safe to call twice."""
        if self.closed:
            return
        self.closed = True
        for timer in (self._no_input, self._dtmf_timer):
            if timer is not None:
                timer.cancel()
        tasks = [
            t for t in [*self._tasks, self._play_task, self._barge_task] if t is not None and not t.done()
        ]
        for task in tasks:
            task.cancel()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=2.0)
            for task in pending:
                log.error("stage did not stop: %s", task.get_name(), extra={"call_id": self.call_id})

    # ---- transport side --------------------------------------------------------------------------
    def push_audio(self, pcm: bytes) -> None:
        """Caller PCM of any length, re-cut into 20 ms frames and endpointed right here (no queue hop:
        at 50 frames a second per call, a task switch per frame costs more than the VAD)."""
        if self.closed:
            return
        now = time.monotonic()
        buf = self._pending + pcm
        whole = len(buf) - len(buf) % FRAME_BYTES
        for i in range(0, whole, FRAME_BYTES):
            frame = buf[i : i + FRAME_BYTES]
            for audio_filter in self._filters:
                frame = audio_filter.process(frame)
            for event in self._endpointer.feed(AudioFrame(frame, now)):
                self._on_endpoint_event(event)
        self._pending = buf[whole:]

    def push_dtmf(self, digit: str) -> None:
        if not self.closed:
            self._on_dtmf(DtmfFrame(digit, time.monotonic()))

    # ---- bot side --------------------------------------------------------------------------------
    def say(self, prompt: Say) -> None:
        """Queue a prompt; it plays after earlier ones and once the caller stops talking."""
        self._cancel_no_input()
        timing = self._turn_timing
        if timing is not None and not timing.bot_reply_at:
            timing.bot_reply_at = time.monotonic()
        onsets = self._onsets if self._turn_onsets is None else self._turn_onsets
        self._out_q.put_nowait(Outgoing(prompt, timing, onsets))

    def act(self, action: CallAction) -> None:
        """Queue a call action (transfer, hang-up) to run after the prompts queued before it."""
        self._cancel_no_input()
        self._out_q.put_nowait(Outgoing(action, None, self._onsets))

    def run_turn(self, turn: Callable[[], Awaitable[None]]) -> None:
        """Queue a bot turn of the call's own (call start, a transfer's outcome) behind the others."""
        if not self.closed:
            self._turn_q.put_nowait(CallbackTurn(turn))

    @property
    def busy(self) -> bool:
        """Speech or prompts still queued, or a prompt playing."""
        return not self._stt_q.empty() or not self._out_q.empty() or self.playing

    @property
    def playing(self) -> bool:
        return self._play_task is not None and not self._play_task.done()

    # ---- stages ----------------------------------------------------------------------------------
    def _on_endpoint_event(self, event: EndpointEvent) -> None:
        if isinstance(event, SpeechStarted):
            self._on_speech_started(event)
            return
        if isinstance(event, SpeechEnded):
            self._caller_idle.set()
            discard, self._discard_utterance = self._discard_utterance, False
            if discard:
                return
        if not self._discard_utterance:
            self._stt_q.put_nowait(event)

    def _on_speech_started(self, event: SpeechStarted) -> None:
        self._cancel_no_input()
        self._no_input_count = 0
        self._caller_idle.clear()
        speech_ignored = self._play_hint in (InputHint.IGNORING, InputHint.IGNORING_SPEECH)
        if self.playing and speech_ignored:
            self._discard_utterance = True
            return
        self._onsets += 1
        if self.playing and self.settings.barge_in:
            self._barge_in(event.at)
        self._stt_q.put_nowait(event)

    def _on_dtmf(self, frame: DtmfFrame) -> None:
        self._cancel_no_input()
        self._no_input_count = 0
        if self.playing and self._play_hint in (InputHint.IGNORING, InputHint.IGNORING_NON_SPEECH):
            return
        if self.playing:
            self._barge_in(frame.at)
        if self._dtmf_timer is not None:
            self._dtmf_timer.cancel()
            self._dtmf_timer = None
        seq = self._dtmf.add(frame.digit)
        if seq:
            self._turn_q.put_nowait(DtmfTurn(seq))
        elif self._dtmf.pending:
            loop = asyncio.get_running_loop()
            self._dtmf_timer = loop.call_later(self.settings.dtmf_interdigit_ms / 1000, self._dtmf_pause)

    def _dtmf_pause(self) -> None:
        self._dtmf_timer = None
        seq = self._dtmf.flush()
        if seq and not self.closed:
            self._turn_q.put_nowait(DtmfTurn(seq))

    def _barge_in(self, onset_at: float) -> None:
        """Cut the prompt now: cancel synthesis/playback, drop queued prompts, then send StopAudio."""
        task = self._play_task
        if task is None or task.done():
            return
        kept = []
        while not self._out_q.empty():
            queued = self._out_q.get_nowait()
            if isinstance(queued.item, CallAction):
                kept.append(queued)
        for queued in kept:
            self._out_q.put_nowait(queued)
        task.cancel()
        self._barge_task = asyncio.create_task(self._stop_audio(task, onset_at))

    async def _stop_audio(self, play: asyncio.Task[None], onset_at: float) -> None:
        await self.sink.stop_audio()
        await asyncio.wait([play])
        latency = (time.monotonic() - onset_at) * 1000
        self.barge_in_ms.append(latency)
        await self.sink.send_event("BargeIn", {"latency_ms": round(latency, 1)})
        log.info("barge-in", extra={"call_id": self.call_id, "latency_ms": round(latency, 1)})

    async def _stt_loop(self) -> None:
        recognizer = UtteranceRecognizer(self.stt, self._partial, self.call_id)
        try:
            while True:
                event = await self._stt_q.get()
                if isinstance(event, SpeechAudio):
                    await recognizer.audio(event.pcm)
                elif isinstance(event, SpeechStarted):
                    self._last_partial = ""
                    await recognizer.start(self.locale if self.locale_known else None)
                elif isinstance(event, SpeechPaused):
                    self._judge_partial(event.seq)
                    early = recognizer.pause()
                    if early is not None and self.settings.complete_turn_silence_ms > 0:
                        early.add_done_callback(functools.partial(self._judge_pause, pause_seq=event.seq))
                elif isinstance(event, SpeechResumed):
                    await recognizer.resume()
                else:
                    result = await recognizer.finish(self.settings.stt_timeout_seconds)
                    await self._recognized(event, result)
        finally:
            await recognizer.close()

    def _judge_pause(self, early: asyncio.Task[SttResult], *, pause_seq: int) -> None:
        """The speculative final is in: a complete phrase ends the turn after a short silence."""
        if early.cancelled() or early.exception() is not None or self.closed:
            return
        result = early.result()
        verdict = self._completion.verdict(result.text, result.language or self.locale)
        silence_ms = {
            Verdict.COMPLETE: self.settings.complete_turn_silence_ms,
            Verdict.INCOMPLETE: self.settings.incomplete_turn_silence_ms,
        }.get(verdict, self.settings.end_silence_ms)
        self._endpointer.end_silence_for(pause_seq, silence_ms)

    def _judge_partial(self, pause_seq: int) -> None:
        """At the pause, the streaming partial can only make the turn wait longer (an unfinished phrase,
        while the final, perhaps a slow second pass, is still coming); only a final ends it sooner."""
        if self.settings.complete_turn_silence_ms <= 0 or not self._last_partial:
            return
        if self._completion.verdict(self._last_partial, self.locale) is Verdict.INCOMPLETE:
            self._endpointer.end_silence_for(pause_seq, self.settings.incomplete_turn_silence_ms)

    async def _partial(self, text: str) -> None:
        self._last_partial = text
        await self.sink.send_event("Transcript", {"role": "caller", "text": text, "final": False})

    async def _recognized(self, end: SpeechEnded, result: SttResult | None) -> None:
        timing = TurnTiming(
            last_voice_at=end.last_voice_at, endpoint_at=end.decided_at, stt_done_at=time.monotonic()
        )
        text = result.text.strip() if result is not None else ""
        timing.text = text
        log.info("utterance", extra={"call_id": self.call_id, "reason": end.reason, "chars": len(text)})
        if text and result is not None:
            if result.language:
                self.locale, self.locale_known = result.language, True
            await self.sink.send_event("Transcript", {"role": "caller", "text": text, "final": True})
            self._turn_q.put_nowait(UtteranceTurn(text, result.language or self.locale, timing))
        elif self._play_hint is InputHint.EXPECTING and self._out_q.empty() and not self.playing:
            self._arm_no_input()

    async def _turn_loop(self) -> None:
        while True:
            turn = await self._turn_q.get()
            if isinstance(turn, SilenceTurn) and turn.onsets != self._onsets:
                continue  # the caller spoke after the timer fired: no "are you still there?"
            self._turn_timing = turn.timing if isinstance(turn, UtteranceTurn) else None
            self._turn_onsets = self._onsets
            try:
                if isinstance(turn, UtteranceTurn):
                    await self.handler.on_utterance(turn.text, turn.language)
                elif isinstance(turn, DtmfTurn):
                    await self.handler.on_dtmf(turn.digits)
                elif isinstance(turn, SilenceTurn):
                    await self.handler.on_silence_timeout(turn.count)
                else:
                    await turn.run()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The edge of a turn: one failed turn must not end the call's pipeline.
                log.exception("bot turn failed", extra={"call_id": self.call_id, "turn": type(turn).__name__})
            finally:
                self._turn_timing = self._turn_onsets = None

    async def _output_loop(self) -> None:
        while True:
            out = await self._out_q.get()
            item, timing = out.item, out.timing
            await self._caller_idle.wait()
            if isinstance(item, CallAction):
                try:
                    await item.run()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("call action failed", extra={"call_id": self.call_id, "action": item.name})
                continue
            if self._talked_over(item, out.onsets):
                continue
            self._play_hint = item.hint
            self._play_task = asyncio.create_task(self._speak(item, timing))
            await asyncio.wait([self._play_task])
            finished = not self._play_task.cancelled()
            if finished and item.hint is InputHint.EXPECTING and self._out_q.empty():
                self._arm_no_input()

    def _talked_over(self, prompt: Say, onsets: int) -> bool:
        """A prompt the caller started speaking over before it could play (barge-in before the first
        frame: a slow greeting, a reprompt racing the caller); dropped like a cut prompt would be."""
        interruptible = prompt.hint not in (InputHint.IGNORING, InputHint.IGNORING_SPEECH)
        if onsets == self._onsets or not (interruptible and self.settings.barge_in):
            return False
        if prompt.hint is InputHint.EXPECTING:
            self._play_hint = InputHint.EXPECTING  # an empty utterance still arms the no-input timer
        log.info("prompt talked over before it played", extra={"call_id": self.call_id})
        return True

    async def _speak(self, prompt: Say, timing: TurnTiming | None) -> None:
        await self.sink.send_event(
            "Transcript", {"role": "bot", "text": prompt.display_text or prompt.text, "final": True}
        )
        if self.tts is None:
            log.error("no text-to-speech engine configured", extra={"call_id": self.call_id})
            return
        chunks: AsyncIterator[bytes] = self.tts.synthesize(prompt.text, prompt.locale)

        def first(at: float) -> None:
            if timing is not None and not timing.first_frame_at:
                timing.first_frame_at = at
                self.turns.append(timing)
                if self._on_turn_timing is not None:
                    self._on_turn_timing(timing)
                asyncio.get_running_loop().create_task(self.sink.send_event("Timings", timing.as_ms()))

        try:
            await self._sender.play(chunks, on_first=first)
        except SpeechError as exc:
            log.error("tts failed: %s", exc, extra={"call_id": self.call_id})
        finally:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()

    # ---- no-input timer --------------------------------------------------------------------------
    def _arm_no_input(self) -> None:
        self._cancel_no_input()
        if self.closed or self.settings.no_input_seconds <= 0:
            return
        loop = asyncio.get_running_loop()
        self._no_input = loop.call_later(self.settings.no_input_seconds, self._no_input_fired)

    def _cancel_no_input(self) -> None:
        if self._no_input is not None:
            self._no_input.cancel()
            self._no_input = None

    def _no_input_fired(self) -> None:
        self._no_input = None
        if self.closed or self._endpointer.in_speech or self._dtmf.pending:
            return
        self._no_input_count += 1
        self._turn_q.put_nowait(SilenceTurn(self._no_input_count, self._onsets))
