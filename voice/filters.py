"""Audio filters: caller audio passes through them, in order, before the VAD and STT hear it.

A filter is one small class: ``process`` takes a 20 ms frame of 16-bit PCM and returns one of the same
length. Pass a list as ``build_call(..., audio_filters=[...])``; nothing else changes. Two examples:
"""

from __future__ import annotations

import math

import numpy as np

from services.speech.base import FRAME_BYTES

FULL_SCALE = 32768.0


def dbfs(pcm: bytes) -> float:
    """RMS level of 16-bit PCM in dB relative to full scale (−inf for digital silence)."""
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float64)
    if samples.size == 0:
        return -math.inf
    rms = float(np.sqrt(np.mean(samples**2)))
    return 20 * math.log10(rms / FULL_SCALE) if rms > 0 else -math.inf


class AudioFilter:
    """Base class: override ``process``. One instance per call, so a filter may keep state."""

    def process(self, pcm: bytes) -> bytes:
        return pcm


class Gain(AudioFilter):
    """Fixed gain in dB, clipped to 16 bits (a quiet line, a far-away handset)."""

    def __init__(self, db: float) -> None:
        self.factor = 10 ** (db / 20)

    def process(self, pcm: bytes) -> bytes:
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64) * self.factor
        return np.clip(samples, -32768, 32767).astype("<i2").tobytes()


class NoiseGate(AudioFilter):
    """Frames quieter than ``threshold_dbfs`` become silence (line hiss and hum never reach STT)."""

    def __init__(self, threshold_dbfs: float = -50.0) -> None:
        self.threshold_dbfs = threshold_dbfs
        self._silence = b"\x00" * FRAME_BYTES

    def process(self, pcm: bytes) -> bytes:
        if dbfs(pcm) >= self.threshold_dbfs:
            return pcm
        return self._silence if len(pcm) == FRAME_BYTES else b"\x00" * len(pcm)
