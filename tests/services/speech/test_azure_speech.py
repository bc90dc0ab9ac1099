"""Azure AI Speech adapters offline: config mapping, event bridging, refused connections.

A live recognition/synthesis test needs a Speech resource (AZURE_SPEECH__KEY and __REGION); the SDK
speaks its own WebSocket protocol, so here the SDK's callbacks are driven directly, and the real SDK is
pointed at a closed local port to check that failures surface as SpeechUnavailable.
"""

from __future__ import annotations

import socket
import threading
from types import SimpleNamespace
from typing import Any

import azure.cognitiveservices.speech as speechsdk
import pytest
from pydantic import SecretStr

from config import AzureSpeechSettings, Settings, SpeechBackend
from services.speech.azure_auth import SpeechAuth
from services.speech.azure_stt import AzureSpeechToText
from services.speech.azure_tts import AzureTextToSpeech, SynthesisBridge, to_ssml
from services.speech.base import SpeechUnavailable, UnsupportedAudioFormat
from services.speech.embedded_stt import EmbeddedSpeechToText
from services.speech.embedded_tts import EspeakTextToSpeech
from services.speech.factory import create_stt, create_tts

P = speechsdk.PropertyId


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def key_auth(endpoint: str = "") -> SpeechAuth:
    return SpeechAuth(
        AzureSpeechSettings(key=SecretStr("test-key"), region="" if endpoint else "eastus", endpoint=endpoint)
    )


class FakeCredential:
    def __init__(self) -> None:
        self.calls = 0

    def get_token(self, scope: str) -> Any:
        self.calls += 1
        assert scope == "https://cognitiveservices.azure.com/.default"
        return SimpleNamespace(token="entra-token", expires_on=4_000_000_000)


async def test_key_and_region_reach_the_speech_config() -> None:
    config = await key_auth().speech_config()
    assert config.get_property(P.SpeechServiceConnection_Key) == "test-key"
    assert config.get_property(P.SpeechServiceConnection_Region) == "eastus"


CUSTOM_DOMAIN = "https://contoso-speech.cognitiveservices.azure.com/"


async def test_entra_uses_the_sdk_token_credential_on_the_custom_domain_for_stt_and_tts() -> None:
    """The private-endpoint topology: local auth off, so no key; region is set too by the templates."""
    credential = FakeCredential()
    settings = AzureSpeechSettings(endpoint=CUSTOM_DOMAIN, region="eastus")
    auth = SpeechAuth(settings, credential=credential)
    config = await auth.speech_config()
    assert config.token_credential is credential  # the SDK asks it for tokens itself, refreshing them
    assert config.get_property(P.SpeechServiceConnection_Endpoint) == CUSTOM_DOMAIN
    assert config.get_property(P.SpeechServiceConnection_Region) == ""
    assert config.get_property(P.SpeechServiceConnection_Key) == ""
    recognizer, _ = await AzureSpeechToText(auth).build_recognizer(None)  # the SDK accepts the combination
    assert recognizer.properties.get_property(P.SpeechServiceConnection_Endpoint) == CUSTOM_DOMAIN
    synthesizer = await AzureTextToSpeech(auth, lambda loc: "en-US-JennyNeural").build_synthesizer()
    assert synthesizer.properties.get_property(P.SpeechServiceConnection_Endpoint) == CUSTOM_DOMAIN


@pytest.mark.parametrize(
    "endpoint",
    ["", "https://eastus.api.cognitive.microsoft.com/", "http://contoso.cognitiveservices.azure.com/"],
)
def test_entra_without_the_custom_domain_is_refused_with_what_to_set(endpoint: str) -> None:
    with pytest.raises(SpeechUnavailable, match="custom-domain endpoint"):
        SpeechAuth(AzureSpeechSettings(endpoint=endpoint, region="eastus"), credential=FakeCredential())


async def test_recognizer_auto_detects_en_and_es_without_a_hint_and_uses_the_hint_otherwise() -> None:
    stt = AzureSpeechToText(key_auth(), phrase_hints=["Contoso", "tarjeta de crédito"])
    auto, _ = await stt.build_recognizer(None)
    assert auto.properties.get_property(P.SpeechServiceConnection_AutoDetectSourceLanguages) == "en-US,es-MX"
    assert auto.properties.get_property(P.SpeechServiceConnection_LanguageIdMode) == "Continuous"
    fixed, _ = await stt.build_recognizer("es-MX")
    assert fixed.properties.get_property(P.SpeechServiceConnection_RecoLanguage) == "es-MX"
    with pytest.raises(UnsupportedAudioFormat):
        stt.open_stream("en-US", sample_rate=8000)


class Signal:
    def __init__(self) -> None:
        self.handlers: list[Any] = []

    def connect(self, handler: Any) -> None:
        self.handlers.append(handler)

    def fire(self, evt: Any) -> None:
        for handler in self.handlers:
            handler(evt)


def sdk_result(text: str, lang: str, offset_ms: int, duration_ms: int, final: bool) -> Any:
    reason = speechsdk.ResultReason.RecognizedSpeech if final else speechsdk.ResultReason.RecognizingSpeech
    props = {P.SpeechServiceConnection_AutoDetectSourceLanguageResult: lang}
    return SimpleNamespace(
        result=SimpleNamespace(
            text=text,
            reason=reason,
            offset=offset_ms * 10_000,
            duration=duration_ms * 10_000,
            properties=props,
        )
    )


class FakeRecognizer:
    """Plays the service: partials while audio arrives, the final result when the stream closes."""

    def __init__(self) -> None:
        self.recognizing, self.recognized = Signal(), Signal()
        self.canceled, self.session_stopped = Signal(), Signal()

    def start_continuous_recognition_async(self) -> Any:
        return SimpleNamespace(get=lambda: None)

    def stop_continuous_recognition_async(self) -> Any:
        return SimpleNamespace(get=lambda: None)

    def on_audio_closed(self) -> None:
        def service() -> None:  # SDK callbacks come from the SDK's own threads
            self.recognizing.fire(sdk_result("quiero bloquear", "es-MX", 300, 900, final=False))
            self.recognized.fire(sdk_result("Quiero bloquear mi tarjeta.", "es-MX", 300, 1800, final=True))
            self.session_stopped.fire(SimpleNamespace())

        threading.Thread(target=service).start()


class FakePush:
    def __init__(self, recognizer: FakeRecognizer) -> None:
        self.recognizer, self.written = recognizer, 0

    def write(self, data: bytes) -> None:
        self.written += len(data)

    def close(self) -> None:
        self.recognizer.on_audio_closed()


async def test_sdk_callbacks_from_other_threads_become_partials_and_a_final() -> None:
    stt = AzureSpeechToText(key_auth())
    recognizer = FakeRecognizer()
    push = FakePush(recognizer)

    async def build(locale: str | None) -> Any:
        return recognizer, push

    stt.build_recognizer = build  # type: ignore[method-assign]
    stream = stt.open_stream(None)
    await stream.push(b"\x00\x00" * 1600)
    final = await stream.finish()
    partials = [p async for p in stream.partials()]
    await stream.close()
    assert push.written == 3200
    assert [p.text for p in partials] == ["quiero bloquear"] and not partials[0].is_final
    assert final.text == "Quiero bloquear mi tarjeta." and final.is_final
    assert final.language == "es-MX" and (final.start_ms, final.end_ms) == (300, 2100)


async def test_unreachable_service_fails_recognition_with_speech_unavailable() -> None:
    stt = AzureSpeechToText(key_auth(f"ws://127.0.0.1:{closed_port()}/stt"), timeout_seconds=10)
    with pytest.raises(SpeechUnavailable):
        await stt.transcribe(b"\x00\x00" * 16000, "en-US")


async def test_unreachable_service_fails_synthesis_with_speech_unavailable() -> None:
    tts = AzureTextToSpeech(key_auth(f"ws://127.0.0.1:{closed_port()}/tts"), lambda loc: "en-US-JennyNeural")
    with pytest.raises(SpeechUnavailable):
        async for _ in tts.synthesize("Hello", "en-US"):
            pass


async def test_synthesizing_chunks_become_640_byte_frames() -> None:
    import asyncio

    bridge = SynthesisBridge(asyncio.get_running_loop())
    synth = SimpleNamespace(synthesizing=Signal(), synthesis_completed=Signal(), synthesis_canceled=Signal())
    bridge.attach(synth)

    def service() -> None:
        for size in (1000, 700, 500):
            synth.synthesizing.fire(SimpleNamespace(result=SimpleNamespace(audio_data=b"\x01" * size)))
        synth.synthesis_completed.fire(SimpleNamespace())

    threading.Thread(target=service).start()
    chunks = [c async for c in bridge.chunks(5)]
    assert b"".join(chunks) == b"\x01" * 2200 and bridge.done


def test_text_and_voiceless_ssml_get_the_locale_voice() -> None:
    assert to_ssml("Tom & Jerry", "en-US", "en-US-JennyNeural") == (
        '<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US">'
        '<voice name="en-US-JennyNeural">Tom &amp; Jerry</voice></speak>'
    )
    assert to_ssml('<speak xml:lang="es-MX">Hola</speak>', "es-MX", "es-MX-DaliaNeural") == (
        '<speak xml:lang="es-MX"><voice name="es-MX-DaliaNeural">Hola</voice></speak>'
    )
    kept = '<speak xml:lang="es-MX"><voice name="x">Hola</voice></speak>'
    assert to_ssml(kept, "es-MX", "es-MX-DaliaNeural") == kept


def test_factory_defaults_to_embedded_and_switches_to_azure(tmp_path) -> None:
    embedded = Settings(data_dir=tmp_path, clu_project_file=tmp_path / "none.json")
    assert isinstance(create_stt(embedded), EmbeddedSpeechToText)
    assert isinstance(create_tts(embedded), EspeakTextToSpeech)
    azure = embedded.model_copy(
        update={
            "stt": SpeechBackend.AZURE,
            "tts": SpeechBackend.AZURE,
            "azure_speech": AzureSpeechSettings(key=SecretStr("k"), region="eastus"),
        }
    )
    stt, tts = create_stt(azure), create_tts(azure)  # each with its embedded twin for outages
    assert isinstance(stt.azure, AzureSpeechToText) and "Contoso" in stt.azure.phrase_hints
    assert isinstance(stt.twin, EmbeddedSpeechToText)
    assert isinstance(tts.azure, AzureTextToSpeech) and tts.azure.voice_for("es-MX") == "es-MX-DaliaNeural"
    assert isinstance(tts.twin, EspeakTextToSpeech)
