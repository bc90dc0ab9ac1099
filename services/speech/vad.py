"""Voice-activity detection: is a 20 ms frame voiced? (webrtcvad with an energy floor; the endpointer that
turns frames into utterances is voice/endpointer.py)."""

from __future__ import annotations

import numpy as np
import webrtcvad

from services.speech.base import FRAME_BYTES, SAMPLE_RATE, UnsupportedAudioFormat


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
