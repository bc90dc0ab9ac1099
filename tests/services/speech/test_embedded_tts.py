"""espeak-ng text-to-speech: 640-byte frames of real audio, streamed early, killed on cancel."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time

import numpy as np
import pytest

from services.speech.base import FRAME_BYTES, SpeechUnavailable
from services.speech.embedded_tts import EspeakTextToSpeech

LONG_TEXT = "Your card ending in four two has been blocked and a new card is on its way. " * 12


def rms(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0


async def collect(tts: EspeakTextToSpeech, text: str, locale: str) -> list[bytes]:
    return [frame async for frame in tts.synthesize(text, locale)]


async def test_text_becomes_non_silent_16_khz_audio_of_plausible_length() -> None:
    frames = await collect(EspeakTextToSpeech(), "Your balance is one hundred dollars.", "en-US")
    assert frames and all(len(f) == FRAME_BYTES for f in frames)
    pcm = b"".join(frames)
    seconds = len(pcm) / 32000
    assert 1.0 < seconds < 4.5
    assert rms(pcm) > 500


async def test_spanish_ssml_with_a_break_is_spoken_with_the_pause() -> None:
    tts = EspeakTextToSpeech()
    plain = b"".join(await collect(tts, "Hola. Su saldo es cien pesos.", "es-MX"))
    ssml = (
        '<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="es-MX">'
        '<voice name="es-MX-DaliaNeural">Hola.<break time="800ms"/>Su saldo es cien pesos.</voice></speak>'
    )
    with_break = b"".join(await collect(tts, ssml, "en-US"))
    assert rms(with_break) > 500
    assert len(with_break) - len(plain) > 0.5 * 32000
    frames = [with_break[i : i + FRAME_BYTES] for i in range(0, len(with_break), FRAME_BYTES)]
    longest_quiet = max(
        (len(run) for run in "".join("q" if rms(f) < 50 else "." for f in frames).split(".")), default=0
    )
    assert longest_quiet * 20 >= 700


async def test_first_frame_arrives_while_espeak_is_still_synthesising() -> None:
    tts = EspeakTextToSpeech()
    started = time.perf_counter()
    frames = tts.synthesize(LONG_TEXT, "en-US")
    first = await anext(frames)
    first_ms = (time.perf_counter() - started) * 1000
    assert len(first) == FRAME_BYTES
    (proc,) = tts.running
    assert proc.returncode is None, "espeak-ng had already finished: audio was not streamed"
    assert first_ms < 500
    count = 1 + len([f async for f in frames])
    assert count * 0.02 > 30, "the whole long text was spoken"
    assert not tts.running


async def test_closing_the_stream_kills_espeak() -> None:
    tts = EspeakTextToSpeech()
    frames = tts.synthesize(LONG_TEXT, "en-US")
    for _ in range(3):
        await anext(frames)
    (proc,) = tts.running
    await frames.aclose()
    assert proc.returncode is not None
    assert not tts.running


async def test_cancelling_the_playing_task_kills_espeak() -> None:
    tts = EspeakTextToSpeech()
    got_frame = asyncio.Event()

    async def play() -> None:
        async with contextlib.aclosing(tts.synthesize(LONG_TEXT, "en-US")) as frames:
            async for _ in frames:
                got_frame.set()
                await asyncio.sleep(0.02)  # real-time playback pace

    task = asyncio.create_task(play())
    await asyncio.wait_for(got_frame.wait(), 5)
    (proc,) = tts.running
    task.cancel()  # barge-in
    with pytest.raises(asyncio.CancelledError):
        await task
    assert proc.returncode is not None
    assert not tts.running


async def test_missing_espeak_is_a_named_error() -> None:
    tts = EspeakTextToSpeech(executable="no-such-espeak")
    with pytest.raises(SpeechUnavailable):
        await collect(tts, "hello", "en-US")


async def test_spoken_reply_is_recognised_back(stt) -> None:
    pcm = b"".join(await collect(EspeakTextToSpeech(), "I lost my credit card", "en-US"))
    # As the endpointer hands it over: 300 ms before the speech, 600 ms of end silence after it.
    line = np.random.default_rng(3).normal(0, 10, 14400).astype("<i2").tobytes()
    result = await stt.transcribe(line[:9600] + pcm + line, "en-US")
    # Whisper (the English second pass) writes punctuation: "… credit card."
    assert {"credit", "card"} <= set(re.findall(r"\w+", result.text.lower()))


async def test_a_prompt_ends_soon_after_its_last_word() -> None:
    # espeak-ng writes ~340 ms of silence after every segment; the caller would wait it out before the
    # next prompt, and the no-input timer would start that much later.
    frames = await collect(EspeakTextToSpeech(), "How can I help you?", "en-US")
    trailing = 0
    for frame in reversed(frames):
        if rms(frame) > 50:
            break
        trailing += 1
    assert trailing * 20 <= 120
    assert rms(b"".join(frames)) > 500
