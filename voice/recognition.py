"""The STT stage of one call: one stream per utterance, finalised early during the end-of-speech pause.

At ``early_final_ms`` of silence the stream is finished speculatively while the endpointer waits out the
rest of ``end_silence_ms``; if the caller resumes, the utterance so far is replayed into a fresh stream.
This hides most of the recogniser's final-result time inside the endpointing wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from services.speech.base import SpeechError, SpeechToText, SttResult, SttStream

log = logging.getLogger(__name__)

Partial = Callable[[str], Awaitable[None]]


class UtteranceRecognizer:
    """One per call. An engine with ``open_call`` (Azure) keeps one recognizer for the whole call and
    gives a stream per utterance over it; ``close`` ends it with the call."""

    def __init__(self, stt: SpeechToText | None, on_partial: Partial, call_id: str = "") -> None:
        open_call = getattr(stt, "open_call", None)
        self._per_call = open_call is not None  # then this call's own: closed with it
        self.stt: Any = open_call() if open_call is not None else stt
        self._on_partial = on_partial
        self.call_id = call_id
        self._stream: SttStream | None = None
        self._partials: asyncio.Task[None] | None = None
        self._early: asyncio.Task[SttResult] | None = None
        self._audio: list[bytes] = []
        self._locale: str | None = None

    def _extra(self) -> dict[str, Any]:
        return {"call_id": self.call_id}

    async def start(self, locale: str | None) -> None:
        await self.discard()
        self._locale = locale
        self._audio = []
        self._open()

    def _open(self) -> None:
        if self.stt is None:
            log.error("no speech-to-text engine configured", extra=self._extra())
            return
        try:
            self._stream = self.stt.open_stream(self._locale)
        except SpeechError as exc:
            log.error("stt open failed: %s", exc, extra=self._extra())
            return
        self._partials = asyncio.create_task(self._forward_partials(self._stream))

    async def _forward_partials(self, stream: SttStream) -> None:
        with contextlib.suppress(SpeechError, NotImplementedError, AttributeError, TypeError):
            async for partial in stream.partials():
                if partial.text:
                    await self._on_partial(partial.text)

    async def audio(self, pcm: bytes) -> None:
        self._audio.append(pcm)
        if self._stream is None or self._early is not None:
            return
        try:
            await self._stream.push(pcm)
        except SpeechError as exc:
            log.error("stt push failed: %s", exc, extra=self._extra())
            await self._close_stream()

    def pause(self) -> asyncio.Task[SttResult] | None:
        """The caller paused long enough that the utterance is probably over: finalise now (the task)."""
        if self._stream is not None and self._early is None:
            self._early = asyncio.create_task(self._stream.finish())
        return self._early

    async def resume(self) -> None:
        """Speech again after a pause: drop the speculative result, replay the audio into a new stream."""
        if self._early is None:
            return
        self._early.cancel()
        self._early = None
        await self._close_stream()
        self._open()
        if self._stream is not None:
            with contextlib.suppress(SpeechError):
                await self._stream.push(b"".join(self._audio))

    async def finish(self, timeout_s: float) -> SttResult | None:
        """End of utterance: the (early or now) final result, None when recognition failed."""
        if self._stream is None:
            return None
        task = self._early or asyncio.create_task(self._stream.finish())
        self._early = None
        try:
            # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a concurrent cancel (close()).
            async with asyncio.timeout(timeout_s):
                return await task
        except (SpeechError, TimeoutError) as exc:
            log.error("stt failed: %s", type(exc).__name__, extra=self._extra())
            return None
        except Exception as exc:  # an engine's own error (a decoder's RuntimeError): the utterance is
            # lost, not the call's recognition stage
            log.error("stt failed: %s", type(exc).__name__, extra=self._extra())
            return None
        finally:
            await self._close_stream()

    async def close(self) -> None:
        """The call is over: discard any utterance and release the call's recognizer."""
        await self.discard()
        close = getattr(self.stt, "close", None) if self._per_call else None
        if close is not None:
            with contextlib.suppress(SpeechError):
                await close()

    async def discard(self) -> None:
        if self._early is not None:
            self._early.cancel()
            self._early = None
        await self._close_stream()

    async def _close_stream(self) -> None:
        if self._partials is not None:
            self._partials.cancel()
            self._partials = None
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(SpeechError):
                await stream.close()
