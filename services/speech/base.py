"""Speech ports. Audio everywhere is 16 kHz, 16-bit little-endian mono PCM in 20 ms frames (640 bytes)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

SAMPLE_RATE = 16_000
SAMPLE_WIDTH = 2
FRAME_MS = 20
FRAME_BYTES = SAMPLE_RATE * SAMPLE_WIDTH * FRAME_MS // 1000  # 640


class SpeechError(Exception):
    """Base class for speech-service failures."""


class SpeechUnavailable(SpeechError):
    """The speech backend could not be reached or timed out."""


class UnsupportedAudioFormat(SpeechError):
    """Audio that is not 16 kHz 16-bit mono PCM."""


@dataclass(frozen=True)
class SttResult:
    text: str
    is_final: bool
    language: str
    """Locale the text was recognised in, e.g. ``en-US`` or ``es-MX``."""
    start_ms: int
    end_ms: int
    confidence: float = 0.0
    streamed_text: str = ""
    """What the streaming engine heard of the same audio when a second pass gave ``text`` (embedded
    English: pocketsphinx under whisper); empty when ``text`` is the only reading."""


class SttStream(Protocol):
    """One utterance-or-more of streaming recognition."""

    async def push(self, pcm: bytes) -> None:
        """Feed PCM (any multiple of 2 bytes; normally one 20 ms frame)."""

    def partials(self) -> AsyncIterator[SttResult]:
        """Partial (non-final) hypotheses as they become available."""

    async def finish(self) -> SttResult:
        """End of utterance: flush and return the final result."""

    async def close(self) -> None: ...


async def partials_until_closed(queue: asyncio.Queue[SttResult | None]) -> AsyncIterator[SttResult]:
    """A stream's partial hypotheses as they are queued, until it queues ``None`` (finished or closed)."""
    while True:
        item = await queue.get()
        if item is None:
            return
        yield item


class SpeechToText(Protocol):
    def open_stream(self, locale_hint: str | None = None) -> SttStream:
        """Start recognising; ``locale_hint`` restricts or biases the language (``en-US``/``es-MX``)."""

    async def transcribe(self, pcm: bytes, locale_hint: str | None = None) -> SttResult:
        """Recognise a whole recording (post-call transcripts, tests)."""


class TextToSpeech(Protocol):
    def synthesize(self, ssml_or_text: str, locale: str) -> AsyncIterator[bytes]:
        """Yield 640-byte PCM frames as soon as they are produced (the last may be padded)."""
