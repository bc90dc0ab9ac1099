"""Voice-activity detection: a webrtcvad frame classifier and an end-of-utterance state machine."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

import numpy as np
import webrtcvad

from services.speech.base import FRAME_BYTES, FRAME_MS, SAMPLE_RATE, UnsupportedAudioFormat

IsSpeech = Callable[[bytes], bool]


class WebRtcFrameClassifier:
    """``classifier(frame) -> bool``: is this 20 ms, 16 kHz frame voiced? (~10 µs a frame.)

    webrtcvad alone calls low-level white noise speech, so frames quieter than ``min_dbfs`` are
    unvoiced whatever it says.
    """

    def __init__(self, aggressiveness: int = 2, sample_rate: int = SAMPLE_RATE, min_dbfs: float = -50.0):
        if sample_rate != SAMPLE_RATE:
            raise UnsupportedAudioFormat(f"VAD expects {SAMPLE_RATE} Hz, got {sample_rate}")
        if not 0 <= aggressiveness <= 3:
            raise ValueError("aggressiveness is 0..3")
        self._vad = webrtcvad.Vad(aggressiveness)
        self._min_power = (32768.0 * 10 ** (min_dbfs / 20)) ** 2 * (FRAME_BYTES // 2)

    def __call__(self, frame: bytes) -> bool:
        if len(frame) != FRAME_BYTES:
            raise UnsupportedAudioFormat(f"VAD frames are {FRAME_BYTES} bytes, got {len(frame)}")
        samples = np.frombuffer(frame, dtype="<i2").astype(np.float32)
        if float(np.dot(samples, samples)) < self._min_power:
            return False
        return bool(self._vad.is_speech(frame, SAMPLE_RATE))


@dataclass(frozen=True)
class EndpointerConfig:
    end_silence_ms: int = 600
    """Unvoiced audio that closes an utterance."""
    speech_start_ms: int = 60
    """Voiced audio (within the start window) that opens an utterance; also the barge-in trigger."""
    start_window_ms: int = 100
    """Sliding window for the start decision: ``speech_start_ms`` voiced out of this much audio."""
    max_utterance_ms: int = 13_000
    preroll_ms: int = 300
    """Audio handed over with the start event so the first syllable reaches STT."""
    aggressiveness: int = 2
    min_dbfs: float = -50.0
    """Energy floor: quieter frames count as silence (line noise)."""


class VadEventType(str, Enum):
    SPEECH_START = "speech_start"
    SPEECH_END = "speech_end"


@dataclass(frozen=True)
class VadEvent:
    type: VadEventType
    at_ms: int
    """Stream time of the event: onset for a start, last voiced frame's end for an end."""
    reason: str = ""
    """For an end: ``silence`` or ``max_length``."""
    preroll: bytes = field(default=b"", repr=False)
    """For a start: the buffered frames up to and including the one that triggered it."""


class Endpointer:
    """Feed 20 ms frames in order; get a start event when speech begins and an end event when it stops.

    Pure state machine over frames (no clock): stream time is frames seen × 20 ms.
    """

    def __init__(self, config: EndpointerConfig | None = None, is_speech: IsSpeech | None = None) -> None:
        self.config = config or EndpointerConfig()
        c = self.config
        self._is_speech = is_speech or WebRtcFrameClassifier(c.aggressiveness, min_dbfs=c.min_dbfs)
        self._start_frames = max(1, c.speech_start_ms // FRAME_MS)
        self._window = deque[bool](maxlen=max(self._start_frames, c.start_window_ms // FRAME_MS))
        self._end_frames = max(1, c.end_silence_ms // FRAME_MS)
        self._max_frames = max(1, c.max_utterance_ms // FRAME_MS)
        self._preroll = deque[bytes](maxlen=max(self._window.maxlen or 1, c.preroll_ms // FRAME_MS))
        self._frame_no = 0
        self.in_speech = False
        self._silent_run = 0
        self._utt_frames = 0
        self._last_voiced_end_ms = 0

    @property
    def now_ms(self) -> int:
        return self._frame_no * FRAME_MS

    def reset(self) -> None:
        """Forget any utterance in progress (stream time keeps running)."""
        self.in_speech = False
        self._window.clear()
        self._preroll.clear()
        self._silent_run = self._utt_frames = 0

    def process(self, frame: bytes) -> VadEvent | None:
        """Classify one 640-byte frame and advance; return an event when the state changes."""
        voiced = self._is_speech(frame)
        self._frame_no += 1
        if not self.in_speech:
            return self._idle(frame, voiced)
        self._utt_frames += 1
        if voiced:
            self._silent_run = 0
            self._last_voiced_end_ms = self.now_ms
        else:
            self._silent_run += 1
        if self._silent_run >= self._end_frames:
            return self._end("silence")
        if self._utt_frames >= self._max_frames:
            return self._end("max_length")
        return None

    def _idle(self, frame: bytes, voiced: bool) -> VadEvent | None:
        self._preroll.append(frame)
        self._window.append(voiced)
        if sum(self._window) < self._start_frames:
            return None
        # Onset: the first voiced frame in the window.
        first_voiced = list(self._window).index(True)
        onset_ms = self.now_ms - (len(self._window) - first_voiced) * FRAME_MS
        preroll = b"".join(self._preroll)
        self.in_speech = True
        self._utt_frames = len(self._preroll)
        self._silent_run = 0
        self._last_voiced_end_ms = self.now_ms
        self._window.clear()
        self._preroll.clear()
        return VadEvent(VadEventType.SPEECH_START, onset_ms, preroll=preroll)

    def _end(self, reason: str) -> VadEvent:
        event = VadEvent(VadEventType.SPEECH_END, self._last_voiced_end_ms, reason=reason)
        self.reset()
        return event
