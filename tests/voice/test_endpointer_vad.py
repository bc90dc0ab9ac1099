"""VAD endpointing on real espeak-ng speech padded with silence."""

from __future__ import annotations

import time

import numpy as np
import pytest

from services.speech.base import FRAME_BYTES, UnsupportedAudioFormat
from services.speech.vad import Endpointer, EndpointerConfig, VadEvent, VadEventType, WebRtcFrameClassifier
from tests.support.speech_fixtures import frames, make_speech_pcm


def run(endpointer: Endpointer, pcm: bytes) -> list[tuple[int, VadEvent]]:
    """Events with the stream time (ms) at which each was emitted."""
    out = []
    for frame in frames(pcm):
        event = endpointer.process(frame)
        if event is not None:
            out.append((endpointer.now_ms, event))
    return out


def speech_span_ms(pcm_unpadded: bytes) -> int:
    return len(pcm_unpadded) * 1000 // 32000


def test_one_utterance_has_one_start_and_one_end_after_the_configured_silence() -> None:
    raw = make_speech_pcm("I lost my credit card", "en-US")
    pcm = make_speech_pcm("I lost my credit card", "en-US", lead_ms=500, trail_ms=1500, noise_db=-65)
    events = run(Endpointer(), pcm)
    assert [e.type for _, e in events] == [VadEventType.SPEECH_START, VadEventType.SPEECH_END]
    (start_at, start), (end_at, end) = events
    assert 400 <= start.at_ms <= 650
    assert start_at - start.at_ms <= 120, "speech start (barge-in) is reported within ~100 ms of onset"
    assert end.reason == "silence"
    assert end_at - end.at_ms == 600
    assert abs(end.at_ms - (500 + speech_span_ms(raw))) < 400
    assert len(start.preroll) % FRAME_BYTES == 0 and len(start.preroll) >= 3 * FRAME_BYTES


def test_end_silence_is_configurable() -> None:
    first = make_speech_pcm("check my balance", "en-US", lead_ms=300, trail_ms=450, trim=True)
    second = make_speech_pcm("and my savings", "en-US", trail_ms=1200, trim=True)
    pcm = first + second
    short = run(Endpointer(EndpointerConfig(end_silence_ms=300)), pcm)
    default = run(Endpointer(), pcm)
    assert [e.type for _, e in short].count(VadEventType.SPEECH_END) == 2
    assert [e.type for _, e in default].count(VadEventType.SPEECH_END) == 1


def test_maximum_utterance_length_cuts_a_long_utterance() -> None:
    pcm = make_speech_pcm(
        "I would like to transfer five hundred dollars from my checking account to my savings account today",
        "en-US",
        lead_ms=200,
        trail_ms=800,
    )
    events = run(Endpointer(EndpointerConfig(max_utterance_ms=1500)), pcm)
    ends = [(at, e) for at, e in events if e.type == VadEventType.SPEECH_END]
    assert ends[0][1].reason == "max_length"
    assert ends[0][0] <= 200 + 1500 + 200


def test_silence_and_line_noise_raise_no_event() -> None:
    rng = np.random.default_rng(7)
    line_noise = rng.normal(0, 32768 * 10 ** (-60 / 20), 16000 * 3).astype("<i2").tobytes()
    assert run(Endpointer(), b"\x00" * 32000 * 2 + line_noise) == []


def test_classifier_rejects_frames_that_are_not_20_ms_at_16_khz() -> None:
    classify = WebRtcFrameClassifier()
    with pytest.raises(UnsupportedAudioFormat):
        classify(b"\x00" * 320)
    with pytest.raises(UnsupportedAudioFormat):
        WebRtcFrameClassifier(sample_rate=8000)


def test_endpointer_is_fast_enough_for_hundreds_of_calls() -> None:
    pcm = make_speech_pcm("what is my balance", "en-US", lead_ms=500, trail_ms=500) * 10
    endpointer = Endpointer()
    chunks = frames(pcm)
    started = time.perf_counter()
    for frame in chunks:
        endpointer.process(frame)
    per_frame_us = (time.perf_counter() - started) / len(chunks) * 1e6
    assert per_frame_us < 200
