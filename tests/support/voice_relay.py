"""Network-like STT/TTS stand-ins (fixed delays, no model): benchmarks and tests measure our own code."""

from __future__ import annotations

import asyncio
import math
import re
import struct
from collections.abc import AsyncIterator

from services.speech.base import FRAME_BYTES, SAMPLE_RATE, SttResult


class RelaySttStream:
    def __init__(self, text: str, language: str, delay_s: float) -> None:
        self._text, self._language, self._delay = text, language, delay_s
        self._bytes = 0

    async def push(self, pcm: bytes) -> None:
        self._bytes += len(pcm)

    async def partials(self) -> AsyncIterator[SttResult]:
        return
        yield  # pragma: no cover

    async def finish(self) -> SttResult:
        await asyncio.sleep(self._delay)
        end_ms = self._bytes * 1000 // (SAMPLE_RATE * 2)
        return SttResult(self._text, True, self._language, 0, end_ms, 0.9)

    async def close(self) -> None:
        return None


class RelaySpeechToText:
    """Answers every utterance with ``text`` after ``delay_s`` (a cloud recogniser's final-result lag)."""

    def __init__(self, text: str = "I lost my credit card", language: str = "en-US", delay_s: float = 0.15):
        self.text, self.language, self.delay_s = text, language, delay_s

    def open_stream(self, locale_hint: str | None = None) -> RelaySttStream:
        return RelaySttStream(self.text, locale_hint or self.language, self.delay_s)

    async def transcribe(self, pcm: bytes, locale_hint: str | None = None) -> SttResult:
        return await self.open_stream(locale_hint).finish()


def tone_frame(index: int, freq: float = 440.0, amplitude: int = 6000) -> bytes:
    samples = FRAME_BYTES // 2
    start = index * samples
    return struct.pack(
        f"<{samples}h",
        *(int(amplitude * math.sin(2 * math.pi * freq * (start + i) / SAMPLE_RATE)) for i in range(samples)),
    )


_TONE = [tone_frame(i) for i in range(50)]


class RelayTextToSpeech:
    """Streams a tone, ``ms_per_char`` of audio per character, first frame after ``first_frame_s``."""

    def __init__(self, first_frame_s: float = 0.1, ms_per_char: float = 60.0, burst_frames: int = 10):
        self.first_frame_s, self.ms_per_char, self.burst = first_frame_s, ms_per_char, burst_frames

    async def synthesize(self, ssml_or_text: str, locale: str) -> AsyncIterator[bytes]:
        await asyncio.sleep(self.first_frame_s)
        words = re.sub(r"<[^>]+>", "", ssml_or_text).strip()
        total = max(1, int(len(words) * self.ms_per_char / 20))
        for i in range(total):
            if i and i % self.burst == 0:
                await asyncio.sleep(0)  # a network read boundary
            yield _TONE[i % len(_TONE)]


HANG = "<hang>"
"""A ``ScriptedSpeechToText`` outcome: the utterance's recognition never finishes."""


class _ScriptedStream(RelaySttStream):
    def __init__(self, outcome: str | Exception, language: str) -> None:
        super().__init__(outcome if isinstance(outcome, str) else "", language, 0.0)
        self._outcome = outcome

    async def finish(self) -> SttResult:
        if isinstance(self._outcome, Exception):
            raise self._outcome
        if self._outcome == HANG:
            await asyncio.Event().wait()
        return await super().finish()


class ScriptedSpeechToText:
    """Each utterance in turn gets the next outcome: its text, an exception its ``finish`` raises, or
    ``HANG`` (never finishes); past the script, the last outcome again."""

    def __init__(self, *outcomes: str | Exception, language: str = "en-US") -> None:
        self.outcomes, self.language = list(outcomes), language
        self.opened = 0

    def open_stream(self, locale_hint: str | None = None) -> RelaySttStream:
        outcome = self.outcomes[min(self.opened, len(self.outcomes) - 1)]
        self.opened += 1
        return _ScriptedStream(outcome, locale_hint or self.language)

    async def transcribe(self, pcm: bytes, locale_hint: str | None = None) -> SttResult:
        return await self.open_stream(locale_hint).finish()
