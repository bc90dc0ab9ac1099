"""One Azure Speech recognizer (one WebSocket) per call: continuous recognition with continuous language
identification, each caller utterance a stream over it, instead of a new recognizer and connection per turn.

The pipeline's endpointer still decides where an utterance ends; at ``finish`` a short run of silence is
pushed so the service closes the phrase (segmentation silence is set just below it), and the result is the
``recognized`` events since the utterance began.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import azure.cognitiveservices.speech as speechsdk

from services.speech.audio import check_pcm, check_rate
from services.speech.base import (
    SAMPLE_RATE,
    SAMPLE_WIDTH,
    SpeechUnavailable,
    SttResult,
    partials_until_closed,
)

if TYPE_CHECKING:
    from services.speech.azure_stt import AzureSpeechToText

log = logging.getLogger(__name__)
SEGMENTATION_SILENCE_MS = 300
"""The service ends a phrase after this much silence (its default, 500 ms, would add latency)."""
FLUSH_SILENCE_MS = SEGMENTATION_SILENCE_MS + 200
_BYTES_PER_MS = SAMPLE_RATE * SAMPLE_WIDTH // 1000
_TICKS_PER_MS = 10_000
_LATE_MS = 200  # a result starting this long before an utterance still belongs to it


class AzureCallRecognizer:
    """The call's recognizer: started on the first audio, restarted after a cancellation, closed with the
    call. ``open_stream`` gives the stream for the next utterance (the ``SpeechToText`` shape)."""

    def __init__(self, stt: AzureSpeechToText) -> None:
        self._stt = stt
        self._loop: asyncio.AbstractEventLoop | None = None
        self._recognizer: Any = None
        self._push: Any = None
        self._pushed = 0
        self._current: AzureUtterance | None = None
        self._lock = asyncio.Lock()
        self.recognizers_built = 0
        self.closed = False

    @property
    def position_ms(self) -> int:
        """Where the audio pushed so far ends, on the service's timeline."""
        return self._pushed // _BYTES_PER_MS

    def open_stream(self, locale_hint: str | None = None, sample_rate: int = SAMPLE_RATE) -> AzureUtterance:
        """Language identification runs continuously across the call, so the hint is not needed."""
        check_rate(sample_rate)
        if self._current is not None:
            self._current.detach()
        self._current = AzureUtterance(self, self.position_ms)
        return self._current

    # -- the recognizer ------------------------------------------------------------------------------
    async def _ensure_started(self) -> None:
        async with self._lock:
            if self._recognizer is not None:
                return
            if self.closed:
                raise SpeechUnavailable("the call's recognizer is closed")
            recognizer, push = await self._stt.build_recognizer(None, SEGMENTATION_SILENCE_MS)
            self.recognizers_built += 1
            self.attach(recognizer, asyncio.get_running_loop())
            self._recognizer, self._push, self._pushed = recognizer, push, 0
            future = recognizer.start_continuous_recognition_async()
            try:
                await asyncio.wait_for(asyncio.to_thread(future.get), self._stt.timeout_seconds)
            except TimeoutError as exc:
                self._recognizer = None
                raise SpeechUnavailable("Azure Speech did not start in time") from exc

    def attach(self, recognizer: Any, loop: asyncio.AbstractEventLoop) -> None:
        """Connect the SDK's events (SDK threads) to the event loop; tests attach recorded events too."""
        self._loop = loop
        recognizer.recognizing.connect(lambda evt: self._from_sdk(self._on_recognizing, evt))
        recognizer.recognized.connect(lambda evt: self._from_sdk(self._on_recognized, evt))
        recognizer.canceled.connect(lambda evt: self._from_sdk(self._on_canceled, evt))

    def _from_sdk(self, handler: Any, evt: Any) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(handler, evt)

    def _owner(self, evt: Any) -> AzureUtterance | None:
        current = self._current
        offset_ms = int(getattr(evt.result, "offset", 0)) // _TICKS_PER_MS
        if current is None or offset_ms < current.start_ms - _LATE_MS:
            return None  # a late result of an utterance already answered
        return current

    def _on_recognizing(self, evt: Any) -> None:
        owner = self._owner(evt)
        if owner is not None and evt.result.text:
            owner.partial(self._stt.result(evt.result, False, owner.default_locale))

    def _on_recognized(self, evt: Any) -> None:
        owner = self._owner(evt)
        if owner is None:
            return
        if evt.result.reason == speechsdk.ResultReason.RecognizedSpeech and evt.result.text:
            owner.final(self._stt.result(evt.result, True, owner.default_locale))
        else:
            owner.final(None)  # NoMatch: the phrase ended with nothing recognised

    def _on_canceled(self, evt: Any) -> None:
        details = evt.cancellation_details
        if details.reason != speechsdk.CancellationReason.Error:
            return
        log.warning("azure speech recognition cancelled", extra={"code": str(details.code)})
        self._recognizer = None  # the next utterance starts a new one; stopping this one blocks in the SDK
        if self._current is not None:
            self._current.fail(f"Azure Speech cancelled the recognition ({details.code})")

    async def push(self, pcm: bytes) -> None:
        await self._ensure_started()
        self._push.write(pcm)
        self._pushed += len(pcm)

    async def close(self) -> None:
        """End of the call: stop recognition and close the audio stream."""
        if self.closed:
            return
        self.closed = True
        recognizer, self._recognizer = self._recognizer, None
        if self._current is not None:
            self._current.detach()
        if recognizer is None:
            return
        self._push.close()
        future = recognizer.stop_continuous_recognition_async()
        try:
            await asyncio.wait_for(asyncio.to_thread(future.get), self._stt.timeout_seconds)
        except TimeoutError:
            log.warning("azure speech recognizer did not stop in time")


class AzureUtterance:
    """One utterance of the call: its audio, partials and the phrases recognised since it began."""

    def __init__(self, call: AzureCallRecognizer, start_ms: int) -> None:
        self._call = call
        self.start_ms = start_ms
        self.default_locale = call._stt.locales[0]
        self._partials: asyncio.Queue[SttResult | None] = asyncio.Queue()
        self._finals: list[SttResult] = []
        self._pending = False
        self._phrase_ended = asyncio.Event()
        self._error: str | None = None
        self._result: SttResult | None = None

    # -- from the call recognizer --------------------------------------------------------------------
    def partial(self, result: SttResult) -> None:
        self._pending = True
        self._partials.put_nowait(result)

    def final(self, result: SttResult | None) -> None:
        self._pending = False
        if result is not None:
            self._finals.append(result)
        self._phrase_ended.set()

    def fail(self, message: str) -> None:
        self._error = message
        self._phrase_ended.set()

    def detach(self) -> None:
        self._partials.put_nowait(None)

    # -- SttStream -----------------------------------------------------------------------------------
    async def push(self, pcm: bytes) -> None:
        check_pcm(pcm)
        if self._error:
            raise SpeechUnavailable(self._error)
        await self._call.push(pcm)

    def partials(self) -> AsyncIterator[SttResult]:
        return partials_until_closed(self._partials)

    async def finish(self) -> SttResult:
        if self._result is not None:
            return self._result
        if self._error:
            raise SpeechUnavailable(self._error)
        self._phrase_ended.clear()
        if self._pending or not self._finals:
            await self._call.push(b"\x00" * (FLUSH_SILENCE_MS * _BYTES_PER_MS))  # let the service end it
            try:
                await asyncio.wait_for(self._phrase_ended.wait(), self._call._stt.timeout_seconds)
            except TimeoutError as exc:
                raise SpeechUnavailable("Azure Speech did not return a final result in time") from exc
        self._partials.put_nowait(None)
        if self._error and not self._finals:
            raise SpeechUnavailable(self._error)
        self._result = combine(self._finals, self.default_locale)
        return self._result

    async def close(self) -> None:
        self.detach()


def combine(finals: list[SttResult], default_locale: str) -> SttResult:
    """The phrases of one utterance as one final result (the language of the last one)."""
    if not finals:
        return SttResult("", True, default_locale, 0, 0, 0.0)
    text = " ".join(f.text for f in finals)
    return SttResult(text, True, finals[-1].language, finals[0].start_ms, finals[-1].end_ms)
