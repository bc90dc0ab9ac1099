"""Azure AI Speech recognition: push stream, continuous recognition, en-US/es-MX auto-detection, phrase hints.

The SDK calls back on its own threads; each callback is handed to the event loop with
``call_soon_threadsafe``. A live test needs a Speech key (AZURE_SPEECH__KEY/REGION): the SDK speaks its
own WebSocket protocol, so offline tests drive the callbacks and a refused connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

import azure.cognitiveservices.speech as speechsdk

from locales import languages
from services.speech.audio import check_pcm, check_rate
from services.speech.azure_auth import SpeechAuth
from services.speech.base import SAMPLE_RATE, SpeechUnavailable, SttResult, partials_until_closed

if TYPE_CHECKING:
    from services.speech.azure_call import AzureCallRecognizer

log = logging.getLogger(__name__)
_TICKS_PER_MS = 10_000  # SDK offsets and durations are in 100 ns ticks


def detected_language(result: Any, default: str) -> str:
    """The locale auto-detection chose for a result (``default`` when detection was not on)."""
    props = getattr(result, "properties", None)
    if props is None:
        return default
    lang = props.get(speechsdk.PropertyId.SpeechServiceConnection_AutoDetectSourceLanguageResult, "")
    return lang or default


class AzureSpeechToText:
    """``SpeechToText`` on Azure AI Speech."""

    def __init__(
        self,
        auth: SpeechAuth,
        locales: Sequence[str] | None = None,
        phrase_hints: Sequence[str] = (),
        timeout_seconds: float = 10.0,
    ) -> None:
        self.auth = auth
        self.locales = tuple(locales or languages.locales())
        self.phrase_hints = tuple(phrase_hints)
        self.timeout_seconds = timeout_seconds

    def _locale(self, hint: str | None) -> str | None:
        if not hint:
            return None
        for loc in self.locales:
            if loc.lower() == hint.lower():
                return loc
        found = languages.find(hint)
        return found.locale if found is not None and found.locale in self.locales else None

    async def build_recognizer(
        self, locale: str | None, segmentation_silence_ms: int | None = None
    ) -> tuple[speechsdk.SpeechRecognizer, speechsdk.audio.PushAudioInputStream]:
        """A recognizer on a 16 kHz 16-bit mono push stream; auto-detection when no locale is given."""
        config = await self.auth.speech_config()
        if segmentation_silence_ms is not None:
            config.set_property(
                speechsdk.PropertyId.Speech_SegmentationSilenceTimeoutMs, str(segmentation_silence_ms)
            )
        fmt = speechsdk.audio.AudioStreamFormat(
            samples_per_second=SAMPLE_RATE, bits_per_sample=16, channels=1
        )
        push = speechsdk.audio.PushAudioInputStream(stream_format=fmt)
        audio = speechsdk.audio.AudioConfig(stream=push)
        if locale:
            recognizer = speechsdk.SpeechRecognizer(config, audio_config=audio, language=locale)
        else:
            config.set_property(speechsdk.PropertyId.SpeechServiceConnection_LanguageIdMode, "Continuous")
            detect = speechsdk.languageconfig.AutoDetectSourceLanguageConfig(languages=list(self.locales))
            recognizer = speechsdk.SpeechRecognizer(
                config, audio_config=audio, auto_detect_source_language_config=detect
            )
        if self.phrase_hints:
            grammar = speechsdk.PhraseListGrammar.from_recognizer(recognizer)
            for phrase in self.phrase_hints:
                grammar.addPhrase(phrase)
        return recognizer, push

    def open_call(self) -> AzureCallRecognizer:
        """One recognizer for a whole call (continuous recognition and language identification)."""
        from services.speech.azure_call import AzureCallRecognizer

        return AzureCallRecognizer(self)

    def result(self, r: Any, final: bool, default_locale: str) -> SttResult:
        """An SDK recognition result as an ``SttResult`` (offsets and durations come in 100 ns ticks)."""
        start = int(getattr(r, "offset", 0)) // _TICKS_PER_MS
        end = start + int(getattr(r, "duration", 0)) // _TICKS_PER_MS
        return SttResult(r.text or "", final, detected_language(r, default_locale), start, end, 0.0)

    def open_stream(self, locale_hint: str | None = None, sample_rate: int = SAMPLE_RATE) -> AzureSttStream:
        check_rate(sample_rate)
        return AzureSttStream(self, self._locale(locale_hint))

    async def transcribe(
        self, pcm: bytes, locale_hint: str | None = None, sample_rate: int = SAMPLE_RATE
    ) -> SttResult:
        check_rate(sample_rate)
        stream = self.open_stream(locale_hint)
        try:
            await stream.push(pcm)
            return await stream.finish()
        finally:
            await stream.close()


class AzureSttStream:
    """One recognition session; ``finish`` closes the push stream and waits for the last result."""

    def __init__(self, stt: AzureSpeechToText, locale: str | None) -> None:
        self._stt = stt
        self._locale = locale
        self._default_locale = locale or stt.locales[0]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._recognizer: speechsdk.SpeechRecognizer | None = None
        self._push: speechsdk.audio.PushAudioInputStream | None = None
        self._partials: asyncio.Queue[SttResult | None] = asyncio.Queue()
        self._finals: list[SttResult] = []
        self._stopped = asyncio.Event()
        self._error: str | None = None
        self._start_lock = asyncio.Lock()
        self._final: SttResult | None = None
        self._closed = False

    # -- SDK callbacks: SDK thread → event loop -------------------------------------------------
    def attach(self, recognizer: Any, loop: asyncio.AbstractEventLoop) -> None:
        """Connect the SDK's events to this stream (also used by tests with recorded events)."""
        self._loop = loop
        recognizer.recognizing.connect(lambda evt: self._from_sdk(self._on_recognizing, evt))
        recognizer.recognized.connect(lambda evt: self._from_sdk(self._on_recognized, evt))
        recognizer.canceled.connect(lambda evt: self._from_sdk(self._on_canceled, evt))
        recognizer.session_stopped.connect(lambda evt: self._from_sdk(self._on_stopped, evt))

    def _from_sdk(self, handler: Any, evt: Any) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(handler, evt)

    def _result(self, evt: Any, final: bool) -> SttResult:
        return self._stt.result(evt.result, final, self._default_locale)

    def _on_recognizing(self, evt: Any) -> None:
        if evt.result.text:
            self._partials.put_nowait(self._result(evt, final=False))

    def _on_recognized(self, evt: Any) -> None:
        if evt.result.reason == speechsdk.ResultReason.RecognizedSpeech and evt.result.text:
            self._finals.append(self._result(evt, final=True))

    def _on_canceled(self, evt: Any) -> None:
        details = evt.cancellation_details
        if details.reason == speechsdk.CancellationReason.Error:
            code = details.code
            self._error = f"Azure Speech cancelled the recognition ({code})"
            log.warning("azure speech recognition cancelled", extra={"code": str(code)})
        self._stopped.set()

    def _on_stopped(self, _evt: Any) -> None:
        self._stopped.set()

    # -- stream API ------------------------------------------------------------------------------
    async def _ensure_started(self) -> None:
        async with self._start_lock:
            if self._recognizer is not None:
                return
            recognizer, push = await self._stt.build_recognizer(self._locale)
            self.attach(recognizer, asyncio.get_running_loop())
            self._recognizer, self._push = recognizer, push
            future = recognizer.start_continuous_recognition_async()
            await asyncio.wait_for(asyncio.to_thread(future.get), self._stt.timeout_seconds)

    async def push(self, pcm: bytes) -> None:
        check_pcm(pcm)
        await self._ensure_started()
        assert self._push is not None
        self._push.write(pcm)

    def partials(self) -> AsyncIterator[SttResult]:
        return partials_until_closed(self._partials)

    async def finish(self) -> SttResult:
        if self._final is not None:
            return self._final
        await self._ensure_started()
        assert self._push is not None
        self._push.close()  # end of audio: the service returns the last recognized result, then stops
        try:
            await asyncio.wait_for(self._stopped.wait(), self._stt.timeout_seconds)
        except TimeoutError as exc:
            raise SpeechUnavailable("Azure Speech did not return a final result in time") from exc
        finally:
            self._partials.put_nowait(None)
        if self._error and not self._finals:
            raise SpeechUnavailable(self._error)
        self._final = self.combine()
        return self._final

    def combine(self) -> SttResult:
        """The recognized segments of this session as one final result."""
        if not self._finals:
            return SttResult("", True, self._default_locale, 0, 0, 0.0)
        first, last = self._finals[0], self._finals[-1]
        text = " ".join(f.text for f in self._finals)
        return SttResult(text, True, last.language, first.start_ms, last.end_ms)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._partials.put_nowait(None)
        if self._recognizer is not None and self._error is not None:
            self._recognizer = None  # cancelled by an error: stopping again blocks ~10 s in the SDK
        if self._recognizer is not None:
            future = self._recognizer.stop_continuous_recognition_async()
            try:
                await asyncio.wait_for(asyncio.to_thread(future.get), self._stt.timeout_seconds)
            except TimeoutError:
                log.warning("azure speech recognizer did not stop in time")
            self._recognizer = None
