"""Azure Speech with its embedded twins: when Azure fails mid-call, the embedded STT/TTS carry on."""

from __future__ import annotations

from collections.abc import AsyncIterator

from core.resilience import TwinFallback
from services.speech.base import (
    SAMPLE_RATE,
    SpeechToText,
    SpeechUnavailable,
    SttResult,
    SttStream,
    TextToSpeech,
)


class FallbackSpeechToText:
    """``SpeechToText`` on Azure; an utterance whose recognition fails (refused, cancelled, timed out) is
    recognised again from its audio by the embedded engine, and an open circuit goes there directly."""

    def __init__(self, azure: SpeechToText, twin: SpeechToText, fallback: TwinFallback) -> None:
        self.azure, self.twin, self.fallback = azure, twin, fallback

    async def warm_up(self) -> None:
        warm_up = getattr(self.twin, "warm_up", None)
        if warm_up is not None:
            await warm_up()

    def open_call(self) -> FallbackSpeechToText:
        """Per call: Azure's one recognizer for the call (when it has one), the same twin and circuit."""
        open_call = getattr(self.azure, "open_call", None)
        return FallbackSpeechToText(open_call() if open_call else self.azure, self.twin, self.fallback)

    async def close(self) -> None:
        close = getattr(self.azure, "close", None)
        if close is not None:
            await close()

    def open_stream(self, locale_hint: str | None = None, sample_rate: int = SAMPLE_RATE) -> SttStream:
        if not self.fallback.allow():
            return self.twin.open_stream(locale_hint)
        return FallbackSttStream(self, self.azure.open_stream(locale_hint), locale_hint)

    async def transcribe(
        self, pcm: bytes, locale_hint: str | None = None, sample_rate: int = SAMPLE_RATE
    ) -> SttResult:
        return await self.fallback.call(
            lambda: self.azure.transcribe(pcm, locale_hint),
            lambda: self.twin.transcribe(pcm, locale_hint),
            (SpeechUnavailable,),
        )


class FallbackSttStream:
    """One utterance: audio goes to Azure and is kept, so the twin can take over at any point."""

    def __init__(self, owner: FallbackSpeechToText, azure: SttStream, locale_hint: str | None) -> None:
        self._owner = owner
        self._locale = locale_hint
        self._stream: SttStream = azure
        self._on_twin = False
        self._audio: list[bytes] = []

    async def _switch(self, exc: BaseException) -> None:
        self._owner.fallback.failed(exc)
        failed, self._on_twin = self._stream, True
        await failed.close()
        self._stream = self._owner.twin.open_stream(self._locale)
        if self._audio:
            await self._stream.push(b"".join(self._audio))

    async def push(self, pcm: bytes) -> None:
        self._audio.append(pcm)
        try:
            await self._stream.push(pcm)
        except SpeechUnavailable as exc:
            if self._on_twin:
                raise
            await self._switch(exc)

    async def partials(self) -> AsyncIterator[SttResult]:
        first = self._stream
        async for partial in first.partials():
            yield partial
        if self._stream is not first:  # switched: the twin's hypotheses from here on
            async for partial in self._stream.partials():
                yield partial

    async def finish(self) -> SttResult:
        try:
            result = await self._stream.finish()
        except (SpeechUnavailable, TimeoutError) as exc:
            if self._on_twin:
                raise
            await self._switch(exc)
            return await self._stream.finish()
        if not self._on_twin:
            self._owner.fallback.breaker.record_success()
        return result

    async def close(self) -> None:
        if not self._on_twin:
            self._owner.fallback.breaker.release()
        await self._stream.close()


class FallbackTextToSpeech:
    """``TextToSpeech`` on Azure neural voices; a prompt Azure cannot synthesise is spoken by the twin."""

    def __init__(self, azure: TextToSpeech, twin: TextToSpeech, fallback: TwinFallback) -> None:
        self.azure, self.twin, self.fallback = azure, twin, fallback

    async def synthesize(self, ssml_or_text: str, locale: str) -> AsyncIterator[bytes]:
        if self.fallback.allow():
            spoken = False
            try:
                async for frame in self.azure.synthesize(ssml_or_text, locale):
                    spoken = True
                    yield frame
            except SpeechUnavailable as exc:
                self.fallback.failed(exc)
                if spoken:  # the caller heard part of it: not the whole prompt again
                    return
            else:
                self.fallback.breaker.record_success()
                return
            finally:
                self.fallback.breaker.release()
        async for frame in self.twin.synthesize(ssml_or_text, locale):
            yield frame
