"""The input stage: caller audio through the audio filters and the endpointer, keys into DTMF sequences.

It runs inline in the transport's ``push_audio``/``push_dtmf`` (no queue hop: at 50 frames a second per
call, a task switch per frame costs more than the VAD). A speech onset or a key is where barge-in starts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from services.speech.base import FRAME_BYTES
from voice.dtmf import DtmfCollector
from voice.endpointer import EndpointEvent, Endpointing
from voice.filters import AudioFilter
from voice.frames import AudioFrame, DtmfFrame, DtmfTurn, InputHint, SpeechEnded, SpeechStarted
from voice.settings import VoiceSettings
from voice.stages.base import Stage

SPEECH_IGNORED = (InputHint.IGNORING, InputHint.IGNORING_SPEECH)
KEYS_IGNORED = (InputHint.IGNORING, InputHint.IGNORING_NON_SPEECH)


class InputStage(Stage[AudioFrame]):
    """First in every pipeline: pushes endpointer events (SpeechStarted ... SpeechEnded) and DtmfTurns."""

    name = "input"

    def __init__(
        self, settings: VoiceSettings, endpointer: Endpointing, audio_filters: Sequence[AudioFilter] = ()
    ) -> None:
        super().__init__()
        self.endpointer = endpointer
        self._filters = tuple(audio_filters)
        self._interdigit_s = settings.dtmf_interdigit_ms / 1000
        self._dtmf = DtmfCollector(settings.dtmf_terminator, settings.dtmf_max_digits)
        self._dtmf_timer: asyncio.TimerHandle | None = None
        self._pending = b""
        self._discard_utterance = False

    @property
    def caller_active(self) -> bool:
        """Mid-utterance or mid-key-sequence: the no-input timer must not fire."""
        return self.endpointer.in_speech or self._dtmf.pending

    def audio(self, pcm: bytes, now: float) -> None:
        """Caller PCM of any length, re-cut into 20 ms frames, filtered and endpointed."""
        buf = self._pending + pcm
        whole = len(buf) - len(buf) % FRAME_BYTES
        for i in range(0, whole, FRAME_BYTES):
            frame = buf[i : i + FRAME_BYTES]
            for audio_filter in self._filters:
                frame = audio_filter.process(frame)
            for event in self.endpointer.feed(AudioFrame(frame, now)):
                self._on_event(event)
        self._pending = buf[whole:]

    def _on_event(self, event: EndpointEvent) -> None:
        if isinstance(event, SpeechStarted):
            self._on_speech_started(event)
            return
        if isinstance(event, SpeechEnded):
            self.call.caller_idle.set()
            discard, self._discard_utterance = self._discard_utterance, False
            if discard:
                return
        if not self._discard_utterance:
            self.push(event)

    def _on_speech_started(self, event: SpeechStarted) -> None:
        call = self.call
        call.caller_spoke()
        call.caller_idle.clear()
        if call.playing and call.play_hint in SPEECH_IGNORED:
            self._discard_utterance = True  # speech over a prompt that must not be cut: not heard
            return
        call.onsets += 1
        if call.playing and call.settings.barge_in:
            call.barge_in(event.at)
        self.push(event)

    def key(self, frame: DtmfFrame) -> None:
        call = self.call
        call.caller_spoke()
        if call.playing and call.play_hint in KEYS_IGNORED:
            return
        if call.playing:
            call.barge_in(frame.at)
        self._cancel_dtmf_timer()
        seq = self._dtmf.add(frame.digit)
        if seq:
            self.push(DtmfTurn(seq))
        elif self._dtmf.pending:
            self._dtmf_timer = asyncio.get_running_loop().call_later(self._interdigit_s, self._dtmf_pause)

    def _dtmf_pause(self) -> None:
        self._dtmf_timer = None
        seq = self._dtmf.flush()
        if seq and not self.call.closed:
            self.push(DtmfTurn(seq))

    def _cancel_dtmf_timer(self) -> None:
        if self._dtmf_timer is not None:
            self._dtmf_timer.cancel()
            self._dtmf_timer = None

    async def stopped(self) -> None:
        self._cancel_dtmf_timer()
