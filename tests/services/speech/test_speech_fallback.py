"""Azure Speech unreachable mid-call: the caller is still understood and still hears the prompt, from the
embedded twins; a telemetry event says so, and after repeated failures the circuit skips Azure."""

from __future__ import annotations

import socket

from pydantic import SecretStr

from config import AzureSpeechSettings
from core.resilience import DEGRADED_EVENT, TwinFallback
from services.speech.azure_auth import SpeechAuth
from services.speech.azure_stt import AzureSpeechToText
from services.speech.azure_tts import AzureTextToSpeech
from services.speech.base import FRAME_BYTES
from services.speech.embedded_tts import EspeakTextToSpeech
from services.speech.fallback import FallbackSpeechToText, FallbackTextToSpeech
from tests.support.events import RecordedEvents
from tests.support.speech_fixtures import frames, make_speech_pcm


def closed_port_auth(path: str) -> SpeechAuth:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return SpeechAuth(AzureSpeechSettings(key=SecretStr("k"), endpoint=f"ws://127.0.0.1:{port}/{path}"))


async def test_the_caller_is_understood_by_the_twin_when_azure_stt_is_down(stt) -> None:
    events = RecordedEvents()
    azure = AzureSpeechToText(closed_port_auth("stt"), timeout_seconds=10)
    speech = FallbackSpeechToText(azure, stt, TwinFallback("speech-to-text", 2, 60, events))
    pcm = make_speech_pcm("I want to block my credit card", "en-US", lead_ms=300, trail_ms=500)

    stream = speech.open_stream("en-US")
    for frame in frames(pcm):
        await stream.push(frame)
    result = await stream.finish()
    await stream.close()

    assert "block" in result.text.lower() and "card" in result.text.lower()
    assert events.named(DEGRADED_EVENT)[0]["dependency"] == "speech-to-text"

    await speech.transcribe(pcm, "en-US")  # the second failure opens the circuit
    assert speech.fallback.breaker.state == "open"
    skipped = speech.open_stream("en-US")  # straight to the twin: no waiting on a dead service
    assert not isinstance(skipped, type(stream))
    await skipped.close()
    assert events.named(DEGRADED_EVENT)[-1]["reason"] == "circuit_open"


async def test_the_caller_hears_the_prompt_from_the_twin_when_azure_tts_is_down() -> None:
    events = RecordedEvents()
    azure = AzureTextToSpeech(closed_port_auth("tts"), lambda locale: "es-MX-DaliaNeural", timeout_seconds=10)
    tts = FallbackTextToSpeech(azure, EspeakTextToSpeech(), TwinFallback("text-to-speech", 3, 60, events))

    audio = [frame async for frame in tts.synthesize("Su saldo es de cien pesos.", "es-MX")]

    assert audio and all(len(frame) == FRAME_BYTES for frame in audio)
    assert len(audio) * 20 > 1000  # over a second of speech, not a click
    assert events.named(DEGRADED_EVENT) == [
        {"dependency": "text-to-speech", "reason": "SpeechUnavailable", "circuit": "closed"}
    ]
