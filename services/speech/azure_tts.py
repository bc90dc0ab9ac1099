"""Azure AI Speech neural voices: SSML in, 16 kHz mono PCM out, streamed from ``synthesizing`` events."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any
from xml.sax.saxutils import escape

import azure.cognitiveservices.speech as speechsdk

from services.speech.audio import Framer
from services.speech.azure_auth import SpeechAuth
from services.speech.base import FRAME_BYTES, SpeechUnavailable
from services.speech.ssml import is_ssml

log = logging.getLogger(__name__)
_SSML_NS = "http://www.w3.org/2001/10/synthesis"


def to_ssml(ssml_or_text: str, locale: str, voice: str) -> str:
    """SSML the service accepts: plain text is wrapped; SSML without a ``<voice>`` gets the locale's voice."""
    if not is_ssml(ssml_or_text):
        body = escape(ssml_or_text)
        return (
            f'<speak version="1.0" xmlns="{_SSML_NS}" xml:lang="{locale}">'
            f'<voice name="{voice}">{body}</voice></speak>'
        )
    if "<voice" in ssml_or_text:
        return ssml_or_text
    head_end = ssml_or_text.index(">", ssml_or_text.index("<speak")) + 1
    tail = ssml_or_text.rindex("</speak>")
    return f'{ssml_or_text[:head_end]}<voice name="{voice}">{ssml_or_text[head_end:tail]}</voice></speak>'


class AzureTextToSpeech:
    """``TextToSpeech`` on Azure neural voices (one per language, from settings)."""

    def __init__(
        self, auth: SpeechAuth, voice_for: Callable[[str], str], timeout_seconds: float = 10.0
    ) -> None:
        self.auth = auth
        self.voice_for = voice_for
        self.timeout_seconds = timeout_seconds

    async def build_synthesizer(self) -> speechsdk.SpeechSynthesizer:
        config = await self.auth.speech_config()
        config.set_speech_synthesis_output_format(speechsdk.SpeechSynthesisOutputFormat.Raw16Khz16BitMonoPcm)
        # audio_config=None: no speaker; the audio arrives through the synthesizing events only.
        return speechsdk.SpeechSynthesizer(speech_config=config, audio_config=None)

    async def synthesize(self, ssml_or_text: str, locale: str) -> AsyncIterator[bytes]:
        """Yield 640-byte frames as the service streams audio; closing the iterator stops synthesis."""
        ssml = to_ssml(ssml_or_text, locale, self.voice_for(locale))
        synthesizer = await self.build_synthesizer()
        bridge = SynthesisBridge(asyncio.get_running_loop())
        bridge.attach(synthesizer)
        synthesizer.speak_ssml_async(ssml)  # returns a future we do not block on: events carry the audio
        framer = Framer(FRAME_BYTES)
        try:
            async for chunk in bridge.chunks(self.timeout_seconds):
                for frame in framer.feed(chunk):
                    yield frame
            last = framer.flush()
            if last is not None:
                yield last
        finally:
            if not bridge.done:
                stop = synthesizer.stop_speaking_async()
                await asyncio.wait_for(asyncio.to_thread(stop.get), self.timeout_seconds)


class SynthesisBridge:
    """Carries ``synthesizing`` audio chunks from SDK threads to the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queue: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue()
        self.done = False

    def attach(self, synthesizer: Any) -> None:
        synthesizer.synthesizing.connect(lambda evt: self._put(bytes(evt.result.audio_data)))
        synthesizer.synthesis_completed.connect(lambda _evt: self._put(None))
        synthesizer.synthesis_canceled.connect(lambda evt: self._put(self._error(evt)))

    @staticmethod
    def _error(evt: Any) -> BaseException:
        details = evt.result.cancellation_details
        code = details.error_code if details.reason == speechsdk.CancellationReason.Error else details.reason
        log.warning("azure speech synthesis cancelled", extra={"code": str(code)})
        return SpeechUnavailable(f"Azure Speech cancelled the synthesis ({code})")

    def _put(self, item: bytes | BaseException | None) -> None:
        if not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)

    async def chunks(self, wait_seconds: float) -> AsyncIterator[bytes]:
        while True:
            try:
                item = await asyncio.wait_for(self._queue.get(), wait_seconds)
            except TimeoutError as exc:
                raise SpeechUnavailable("Azure Speech stopped sending audio") from exc
            if item is None:
                self.done = True
                return
            if isinstance(item, BaseException):
                self.done = True
                raise item
            if item:
                yield item
