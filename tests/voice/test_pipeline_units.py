"""The turn-taking pipeline on synthetic frames (a frame is 'speech' when its first byte is non-zero)."""

from __future__ import annotations

import asyncio
from typing import Any

from services.speech.base import FRAME_BYTES
from tests.support.voice_relay import RelaySpeechToText, RelayTextToSpeech
from voice.call import VoiceEngines, build_call
from voice.dtmf import DtmfCollector, normalise_digit
from voice.frames import InputHint, Say
from voice.pipeline import CallPipeline
from voice.settings import VoiceSettings

SPEECH = b"\x01" + b"\x00" * (FRAME_BYTES - 1)
SILENCE = b"\x00" * FRAME_BYTES


class Sink:
    def __init__(self) -> None:
        self.audio = 0
        self.stops = 0
        self.events: list[tuple[str, dict[str, Any]]] = []

    async def send_audio(self, pcm: bytes) -> None:
        self.audio += 1

    async def stop_audio(self) -> None:
        self.stops += 1

    async def send_event(self, kind: str, body: dict[str, Any]) -> None:
        self.events.append((kind, body))


class Handler:
    def __init__(self) -> None:
        self.turns: list[tuple[str, Any]] = []

    async def on_utterance(self, text: str, language: str) -> None:
        self.turns.append(("utterance", text))

    async def on_dtmf(self, digits: str) -> None:
        self.turns.append(("dtmf", digits))

    async def on_silence_timeout(self, count: int) -> None:
        self.turns.append(("silence", count))

    async def on_speech_unrecognised(self, count: int) -> None:
        self.turns.append(("unrecognised", count))


def make(**voice: Any) -> tuple[CallPipeline, Sink, Handler]:
    sink, handler = Sink(), Handler()
    engines = VoiceEngines(
        RelaySpeechToText("hello", delay_s=0.0),
        RelayTextToSpeech(first_frame_s=0.0, ms_per_char=100),
        VoiceSettings(**voice),
    )
    pipeline = build_call(engines, sink, handler, is_speech=lambda frame: frame[0] != 0)
    pipeline.start()
    return pipeline, sink, handler


async def feed(pipeline: CallPipeline, frames: list[bytes], realtime: bool = False) -> None:
    for frame in frames:
        pipeline.push_audio(frame)
        await asyncio.sleep(0.02 if realtime else 0)
    await asyncio.sleep(0.05)


async def test_prompt_sent_while_the_caller_speaks_waits_for_the_end_of_the_utterance() -> None:
    pipeline, sink, handler = make()
    await feed(pipeline, [SPEECH] * 10)
    pipeline.say(Say("Please hold.", "en-US"))
    await asyncio.sleep(0.1)
    assert sink.audio == 0, "no bot audio over the caller"
    await feed(pipeline, [SILENCE] * 35)
    await asyncio.sleep(0.1)
    assert sink.audio > 0 and handler.turns == [("utterance", "hello")]
    await pipeline.close()


async def test_max_utterance_length_cuts_an_endless_utterance() -> None:
    pipeline, _, handler = make(max_utterance_ms=1000)
    await feed(pipeline, [SPEECH] * 60)
    assert handler.turns == [("utterance", "hello")]
    await pipeline.close()


async def test_ignoring_input_prompt_is_not_barged_into_and_its_speech_is_dropped() -> None:
    pipeline, sink, handler = make()
    pipeline.say(Say("Your reference number is one two three four five six.", "en-US", InputHint.IGNORING))
    await asyncio.sleep(0.2)
    await feed(pipeline, [SPEECH] * 10 + [SILENCE] * 35, realtime=True)
    assert sink.stops == 0 and pipeline.barge_in_ms == []
    assert handler.turns == []
    await pipeline.close()


async def test_barge_in_cancels_playback_and_drops_queued_prompts() -> None:
    pipeline, sink, _ = make()
    pipeline.say(Say("A long prompt that keeps going and going for a while.", "en-US"))
    pipeline.say(Say("A second prompt queued behind it.", "en-US"))
    await asyncio.sleep(0.3)
    await feed(pipeline, [SPEECH] * 5, realtime=True)
    assert sink.stops == 1 and len(pipeline.barge_in_ms) == 1
    assert pipeline.barge_in_ms[0] < 200
    played = sink.audio
    await feed(pipeline, [SILENCE] * 35, realtime=True)
    assert sink.audio - played < 5, "neither prompt resumed"
    assert [e[1]["text"] for e in sink.events if e[0] == "Transcript" and e[1]["role"] == "bot"] == [
        "A long prompt that keeps going and going for a while."
    ]
    await pipeline.close()


async def test_dtmf_without_terminator_is_delivered_after_the_inter_digit_pause() -> None:
    pipeline, _, handler = make(dtmf_interdigit_ms=200)
    for digit in "12":
        pipeline.push_dtmf(digit)
    await asyncio.sleep(0.4)
    assert handler.turns == [("dtmf", "12")]
    await pipeline.close()


def test_dtmf_collector_terminator_and_max_length() -> None:
    collector = DtmfCollector("#", max_digits=4)
    assert [collector.add(d) for d in "12#"] == [None, None, "12"]
    assert [collector.add(d) for d in "5678"] == [None, None, None, "5678"]
    assert collector.add("#") is None
    assert normalise_digit("pound") == "#" and normalise_digit("x") is None


async def test_speech_resumed_after_a_short_pause_is_one_utterance() -> None:
    pipeline, _, handler = make(early_final_ms=200, end_silence_ms=600)
    await feed(pipeline, [SPEECH] * 10 + [SILENCE] * 15 + [SPEECH] * 10 + [SILENCE] * 35)
    assert handler.turns == [("utterance", "hello")]
    await pipeline.close()
