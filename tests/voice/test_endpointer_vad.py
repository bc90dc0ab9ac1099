"""The live endpointer (voice/endpointer.py on webrtc_vad, as build_call uses it) on real espeak-ng speech
padded with silence or line noise."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from services.speech.base import FRAME_BYTES, FRAME_MS, UnsupportedAudioFormat
from services.speech.vad import WebRtcFrameClassifier
from tests.support.speech_fixtures import frames, make_speech_pcm
from voice.endpointer import Endpointer, EndpointEvent, webrtc_vad
from voice.frames import AudioFrame, SpeechEnded, SpeechPaused, SpeechStarted
from voice.settings import VoiceSettings


def run(pcm: bytes, **settings: Any) -> list[tuple[int, EndpointEvent]]:
    """Start and end events with the stream time (ms) of the frame that completed each."""
    endpointer = Endpointer(VoiceSettings(**settings), webrtc_vad())
    out: list[tuple[int, EndpointEvent]] = []
    for i, frame in enumerate(frames(pcm)):
        at_ms = i * FRAME_MS
        for event in endpointer.feed(AudioFrame(frame, at_ms / 1000)):
            if isinstance(event, SpeechStarted | SpeechEnded):
                out.append((at_ms, event))
    return out


def kinds(events: list[tuple[int, EndpointEvent]]) -> list[str]:
    return [type(event).__name__ for _, event in events]


def line_noise(dbfs: float, seconds: float, seed: int = 7) -> bytes:
    rng = np.random.default_rng(seed)
    return rng.normal(0, 32768 * 10 ** (dbfs / 20), int(16000 * seconds)).astype("<i2").tobytes()


def test_one_utterance_has_one_start_and_one_end_after_the_configured_silence() -> None:
    raw = make_speech_pcm("I lost my credit card", "en-US")
    pcm = make_speech_pcm("I lost my credit card", "en-US", lead_ms=500, trail_ms=1500, noise_db=-65)
    events = run(pcm)
    assert kinds(events) == ["SpeechStarted", "SpeechEnded"]
    (start_at, start), (_, end) = events
    assert isinstance(start, SpeechStarted) and isinstance(end, SpeechEnded)
    onset_ms = start.at * 1000
    assert 400 <= onset_ms <= 650
    assert start_at - onset_ms <= 120, "speech start (barge-in) is reported within ~100 ms of onset"
    assert end.reason == "silence"
    assert round((end.decided_at - end.last_voice_at) * 1000) == 600
    assert abs(end.last_voice_at * 1000 - (500 + len(raw) * 1000 // 32000)) < 400


def test_end_silence_is_configurable() -> None:
    first = make_speech_pcm("check my balance", "en-US", lead_ms=300, trail_ms=450, trim=True)
    second = make_speech_pcm("and my savings", "en-US", trail_ms=1200, trim=True)
    pcm = first + second
    assert kinds(run(pcm, end_silence_ms=300, early_final_ms=0)).count("SpeechEnded") == 2
    assert kinds(run(pcm)).count("SpeechEnded") == 1


def test_maximum_utterance_length_cuts_a_long_utterance() -> None:
    pcm = make_speech_pcm(
        "I would like to transfer five hundred dollars from my checking account to my savings account today",
        "en-US",
        lead_ms=200,
        trail_ms=800,
    )
    ends = [(at, e) for at, e in run(pcm, max_utterance_ms=1500) if isinstance(e, SpeechEnded)]
    assert ends[0][1].reason == "max_length"
    assert ends[0][0] <= 200 + 1500 + 200


def test_silence_and_line_noise_below_minus_50_dbfs_raise_no_event() -> None:
    assert run(b"\x00" * 32000 * 2 + line_noise(-60, 3)) == []


def test_a_caller_above_the_noise_floor_is_still_heard() -> None:
    speech = make_speech_pcm("I lost my credit card", "en-US", lead_ms=300, trail_ms=900, noise_db=-65)
    assert kinds(run(line_noise(-60, 1) + speech)) == ["SpeechStarted", "SpeechEnded"]


def test_a_frame_of_the_wrong_size_is_not_speech() -> None:
    assert webrtc_vad()(b"\x00" * 320) is False


def test_classifier_rejects_frames_that_are_not_20_ms_at_16_khz() -> None:
    classify = WebRtcFrameClassifier()
    with pytest.raises(UnsupportedAudioFormat):
        classify(b"\x00" * (FRAME_BYTES // 2))
    with pytest.raises(UnsupportedAudioFormat):
        WebRtcFrameClassifier(sample_rate=8000)


def test_a_pause_awaiting_its_verdict_ends_on_the_verdict_or_at_the_unfinished_phrase_silence() -> None:
    pcm = make_speech_pcm(
        "I lost my credit card", "en-US", lead_ms=300, trail_ms=1500, trim=True, noise_db=-65
    )

    def end_after(verdict_ms: int | None) -> int:
        settings = VoiceSettings()
        endpointer = Endpointer(settings, webrtc_vad(), awaits_verdict=True)
        for i, frame in enumerate(frames(pcm)):
            for event in endpointer.feed(AudioFrame(frame, i * FRAME_MS / 1000)):
                if isinstance(event, SpeechPaused) and verdict_ms is not None:
                    endpointer.end_silence_for(event.seq, verdict_ms)
                if isinstance(event, SpeechEnded):
                    return round((event.decided_at - event.last_voice_at) * 1000)
        raise AssertionError("the utterance never ended")

    assert end_after(None) == VoiceSettings().incomplete_turn_silence_ms  # no verdict came: the longest wait
    assert abs(end_after(250) - 250) <= FRAME_MS  # a complete phrase
    assert end_after(VoiceSettings().end_silence_ms) == 600  # no opinion: the plain end silence
