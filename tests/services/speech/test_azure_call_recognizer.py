"""One Azure Speech recognizer per call: built and connected once, continuous language identification,
each utterance answered with its own phrases; offline, the SDK's events are played from another thread."""

from __future__ import annotations

import socket
import threading
from types import SimpleNamespace
from typing import Any

import azure.cognitiveservices.speech as speechsdk
import pytest
from pydantic import SecretStr

from config import AzureSpeechSettings
from services.speech.azure_auth import SpeechAuth
from services.speech.azure_call import FLUSH_SILENCE_MS, SEGMENTATION_SILENCE_MS
from services.speech.azure_stt import AzureSpeechToText
from services.speech.base import SpeechUnavailable
from voice.recognition import UtteranceRecognizer

P = speechsdk.PropertyId
FRAME = b"\x00\x00" * 320


def key_auth(endpoint: str = "") -> SpeechAuth:
    return SpeechAuth(
        AzureSpeechSettings(key=SecretStr("k"), region="" if endpoint else "eastus", endpoint=endpoint)
    )


class Signal:
    def __init__(self) -> None:
        self.handlers: list[Any] = []

    def connect(self, handler: Any) -> None:
        self.handlers.append(handler)

    def fire(self, evt: Any) -> None:
        for handler in self.handlers:
            handler(evt)


def event(text: str, lang: str, offset_ms: int, final: bool) -> Any:
    reason = speechsdk.ResultReason.RecognizedSpeech if final else speechsdk.ResultReason.RecognizingSpeech
    props = {P.SpeechServiceConnection_AutoDetectSourceLanguageResult: lang}
    result = SimpleNamespace(text=text, reason=reason, offset=offset_ms * 10_000, duration=900 * 10_000)
    result.properties = props
    return SimpleNamespace(result=result)


class FakeService:
    """The SDK recognizer's surface; speaks the next scripted phrase once the flush silence arrives."""

    def __init__(self, phrases: list[tuple[str, str]]) -> None:
        self.recognizing, self.recognized, self.canceled = Signal(), Signal(), Signal()
        self.session_stopped = Signal()
        self.phrases, self.starts, self.stops, self.pushed = list(phrases), 0, 0, 0

    def start_continuous_recognition_async(self) -> Any:
        self.starts += 1
        return SimpleNamespace(get=lambda: None)

    def stop_continuous_recognition_async(self) -> Any:
        self.stops += 1
        return SimpleNamespace(get=lambda: None)

    def write(self, data: bytes) -> None:  # the push stream
        at_ms = self.pushed // 32
        self.pushed += len(data)
        if len(data) == FLUSH_SILENCE_MS * 32 and self.phrases:
            text, lang = self.phrases.pop(0)

            def speak() -> None:
                self.recognizing.fire(event(text.split()[0], lang, at_ms - 800, final=False))
                self.recognized.fire(event(text, lang, at_ms - 800, final=True))

            threading.Thread(target=speak).start()

    def close(self) -> None:
        pass


async def test_the_call_recognizer_is_continuous_with_language_identification_and_short_segments() -> None:
    stt = AzureSpeechToText(key_auth())
    recognizer, _ = await stt.build_recognizer(None, SEGMENTATION_SILENCE_MS)  # the real SDK objects
    props = recognizer.properties
    assert props.get_property(P.SpeechServiceConnection_LanguageIdMode) == "Continuous"
    assert props.get_property(P.SpeechServiceConnection_AutoDetectSourceLanguages) == "en-US,es-MX"
    assert props.get_property(P.Speech_SegmentationSilenceTimeoutMs) == str(SEGMENTATION_SILENCE_MS)


async def test_two_utterances_in_two_languages_share_one_recognizer_and_connection() -> None:
    stt = AzureSpeechToText(key_auth(), timeout_seconds=5)
    service = FakeService([("I want to block my card.", "en-US"), ("Quiero hablar con un asesor.", "es-MX")])
    built: list[str | None] = []

    async def build(locale: str | None, segmentation_ms: int | None = None) -> Any:
        built.append(locale)
        return service, service

    stt.build_recognizer = build  # type: ignore[method-assign]
    heard: list[str] = []

    async def on_partial(text: str) -> None:
        heard.append(text)

    recognizer = UtteranceRecognizer(stt, on_partial, "call-1")
    results = []
    for locale in (None, "en-US"):
        await recognizer.start(locale)
        for _ in range(50):
            await recognizer.audio(FRAME)
        results.append(await recognizer.finish(5))
    await recognizer.close()

    assert [(r.text, r.language) for r in results] == [
        ("I want to block my card.", "en-US"),
        ("Quiero hablar con un asesor.", "es-MX"),
    ]
    assert built == [None] and service.starts == 1 and service.stops == 1  # one recognizer, one socket
    assert heard and heard[0] == "I"


async def test_a_closed_port_fails_the_utterance_so_the_twin_can_take_it() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    call = AzureSpeechToText(key_auth(f"ws://127.0.0.1:{port}/stt"), timeout_seconds=10).open_call()
    stream = call.open_stream(None)
    with pytest.raises(SpeechUnavailable):
        for _ in range(100):
            await stream.push(FRAME)
        await stream.finish()
    await call.close()
