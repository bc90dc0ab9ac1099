"""Audio filters sit in front of the VAD and STT: what they change is what the recogniser hears."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import numpy as np

from services.speech.base import SttResult
from tests.support.voice_relay import RelayTextToSpeech, tone_frame
from tests.voice.test_pipeline_units import Handler, Sink
from voice.call import VoiceEngines, build_call
from voice.filters import AudioFilter, Gain, dbfs
from voice.settings import VoiceSettings

SILENCE = b"\x00" * 640


def tone(amplitude: int, frames: int) -> list[bytes]:
    return [tone_frame(i, amplitude=amplitude) for i in range(frames)]


def louder_than(threshold_dbfs: float):
    return lambda frame: dbfs(frame) > threshold_dbfs


class ListeningStream:
    def __init__(self, heard: list[bytes]) -> None:
        self._heard, self._pcm = heard, bytearray()

    async def push(self, pcm: bytes) -> None:
        self._pcm.extend(pcm)

    async def partials(self) -> AsyncIterator[SttResult]:
        return
        yield

    async def finish(self) -> SttResult:
        self._heard.append(bytes(self._pcm))
        return SttResult("hello", True, "en-US", 0, len(self._pcm) // 32, 0.9)

    async def close(self) -> None:
        return None


class ListeningStt:
    """Keeps the audio of every utterance it recognised."""

    def __init__(self) -> None:
        self.heard: list[bytes] = []

    def open_stream(self, locale_hint: str | None = None) -> ListeningStream:
        return ListeningStream(self.heard)

    async def transcribe(self, pcm: bytes, locale_hint: str | None = None) -> SttResult:
        raise NotImplementedError


async def run_call(frames: list[bytes], settings: VoiceSettings, filters: list[AudioFilter] | None):
    stt, sink, handler = ListeningStt(), Sink(), Handler()
    engines = VoiceEngines(stt, RelayTextToSpeech(first_frame_s=0.0), settings)
    pipeline = build_call(engines, sink, handler, audio_filters=filters, is_speech=louder_than(-40))
    pipeline.start()
    for frame in frames:
        pipeline.push_audio(frame)
        await asyncio.sleep(0)
    await asyncio.sleep(0.1)
    await pipeline.close()
    return stt.heard, handler.turns


def peak(pcm: bytes) -> int:
    return int(np.abs(np.frombuffer(pcm, dtype="<i2").astype(np.int32)).max())


async def test_a_gain_filter_lets_a_quiet_caller_be_heard_louder() -> None:
    quiet = tone(amplitude=300, frames=20) + [SILENCE] * 40  # about -47 dBFS: below the VAD's -40
    heard, turns = await run_call(quiet, VoiceSettings(), filters=None)
    assert heard == [] and turns == [], "unfiltered, the quiet caller is not heard at all"
    heard, turns = await run_call(quiet, VoiceSettings(), filters=[Gain(12.0)])
    assert turns == [("utterance", "hello")]
    assert 1100 < peak(heard[0]) < 1300, "STT hears the caller four times louder"


async def test_the_configured_noise_gate_keeps_line_hum_from_the_recogniser() -> None:
    speech_then_hum = tone(amplitude=6000, frames=15) + tone(amplitude=40, frames=40)  # hum ≈ -58 dBFS
    open_line, _ = await run_call(speech_then_hum, VoiceSettings(), filters=None)
    gated, turns = await run_call(speech_then_hum, VoiceSettings(noise_gate_dbfs=-50), filters=None)
    assert turns == [("utterance", "hello")]
    tail = slice(-640 * 10, None)  # the last 10 frames STT heard are hum
    assert peak(open_line[0][tail]) > 0
    assert peak(gated[0][tail]) == 0, "the gate turned the hum into silence"
    assert peak(gated[0][: 640 * 10]) == peak(open_line[0][: 640 * 10]), "speech passes unchanged"
