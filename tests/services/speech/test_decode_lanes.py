"""Many callers at once: speech decodes run on their own lanes, never in the pool the bot's turns use, and
a live utterance is not queued behind other callers' decodes past ``max_decode_wait_ms``."""

from __future__ import annotations

import asyncio
import threading

import pytest

from services.speech.base import SpeechError
from services.speech.decode_lanes import DecodeLane, SpeechShed
from services.speech.embedded_stt import EmbeddedSpeechToText
from services.speech.vocabulary import load_vocabulary
from services.speech.whisper_engine import WhisperResult
from tests.support.speech_fixtures import frames, make_speech_pcm


class _BusyWhisper:
    """A whisper engine whose every decode waits until ``release`` (a long decode of another caller)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = 0

    def _wait(self) -> None:
        self.started += 1
        self.release.wait(30)

    def detect(self, pcm: bytes, candidates: tuple[str, ...] | None = None) -> tuple[str, float]:
        self._wait()
        return "es", 1.0

    def transcribe(self, pcm: bytes, language: str) -> WhisperResult:
        self._wait()
        return WhisperResult("quiero saber mi saldo", language, 0, 100, 0.9)


def _stt(speech_data_dir, engines, whisper: object, max_wait_ms: int | None) -> EmbeddedSpeechToText:
    sphinx, _ = engines
    return EmbeddedSpeechToText(
        speech_data_dir,
        vocabulary=load_vocabulary(None),
        sphinx=sphinx,
        whisper=whisper,  # type: ignore[arg-type]
        english_second_pass=False,
        max_decode_wait_ms=max_wait_ms,
    )


async def _utterance(stt: EmbeddedSpeechToText, text: str, locale: str, hint: str | None) -> asyncio.Task:
    stream = stt.open_stream(hint)
    for frame in frames(make_speech_pcm(text, locale, lead_ms=300, trail_ms=300, noise_db=-70)):
        await stream.push(frame)

    async def finish():
        try:
            return await stream.finish()
        finally:
            await stream.close()

    return asyncio.create_task(finish())


async def test_a_bot_helper_thread_is_not_queued_behind_callers_decodes(speech_data_dir, engines) -> None:
    whisper = _BusyWhisper()
    stt = _stt(speech_data_dir, engines, whisper, max_wait_ms=None)  # no shedding: the lanes alone
    callers = [await _utterance(stt, "quiero saber mi saldo", "es-MX", "es-MX") for _ in range(40)]
    try:
        async with asyncio.timeout(10):  # a liveness bound, not a speed target
            assert await asyncio.to_thread(lambda: "state read") == "state read"
    finally:
        whisper.release.set()
        await asyncio.gather(*callers, return_exceptions=True)


async def test_spanish_queued_past_the_bound_is_shed_not_answered_late(speech_data_dir, engines) -> None:
    whisper = _BusyWhisper()
    stt = _stt(speech_data_dir, engines, whisper, max_wait_ms=300)
    first = await _utterance(stt, "quiero saber mi saldo", "es-MX", "es-MX")
    try:
        while not whisper.started:  # noqa: ASYNC110 - the first caller's decode has taken the lane
            await asyncio.sleep(0.01)
        second = await _utterance(stt, "perdí mi tarjeta", "es-MX", "es-MX")
        async with asyncio.timeout(10):
            with pytest.raises(SpeechShed):
                await second
    finally:
        whisper.release.set()
        result = await first
    assert result.text == "quiero saber mi saldo"  # the caller already decoding is answered


async def test_unknown_language_under_backlog_keeps_the_streamed_english(speech_data_dir, engines) -> None:
    whisper = _BusyWhisper()
    stt = _stt(speech_data_dir, engines, whisper, max_wait_ms=300)
    first = await _utterance(stt, "quiero saber mi saldo", "es-MX", "es-MX")
    try:
        while not whisper.started:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        second = await _utterance(stt, "what is my balance", "en-US", None)
        async with asyncio.timeout(10):
            heard = await second
    finally:
        whisper.release.set()
        await asyncio.gather(first, return_exceptions=True)
    assert heard.language == "en-US" and "balance" in heard.text.split()


async def test_a_lane_drops_a_decode_whose_turn_does_not_come_within_its_bound() -> None:
    lane = DecodeLane("test", first_guess_s=0.01)
    release, ran = threading.Event(), []
    running = asyncio.create_task(lane.run(release.wait, 30))
    await asyncio.sleep(0.05)
    with pytest.raises(SpeechShed) as shed:
        await lane.run(ran.append, "late", max_wait_s=0.2)
    release.set()
    await running
    await lane.run(ran.append, "next")
    lane.close()
    assert shed.value.waited and isinstance(shed.value, SpeechError)
    assert ran == ["next"]  # the dropped decode never ran


async def test_a_lane_refuses_a_decode_that_would_wait_past_its_bound() -> None:
    lane = DecodeLane("test", first_guess_s=1.0)
    release, ran = threading.Event(), []
    running = asyncio.create_task(lane.run(release.wait, 30))
    await asyncio.sleep(0.05)
    with pytest.raises(SpeechShed) as refused:
        await lane.run(ran.append, "refused", max_wait_s=0.2)
    release.set()
    await running
    lane.close()
    assert not refused.value.waited and ran == []


class _SlowWhisper:
    """A whisper engine whose every decode takes ``seconds`` (a whisper-base decode on this box)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def detect(self, pcm: bytes, candidates: tuple[str, ...] | None = None) -> tuple[str, float]:
        threading.Event().wait(self.seconds)
        return "es", 1.0

    def transcribe(self, pcm: bytes, language: str) -> WhisperResult:
        threading.Event().wait(self.seconds)
        return WhisperResult("perdí mi tarjeta de crédito", language, 0, 100, 0.9)


async def test_a_lone_caller_who_paused_mid_phrase_is_not_shed_for_their_own_speculation(
    speech_data_dir, engines
) -> None:
    stt = _stt(speech_data_dir, engines, _SlowWhisper(0.8), max_wait_ms=300)
    stream = stt.open_stream("es-MX")
    head = make_speech_pcm("perdí mi", "es-MX", lead_ms=300, trail_ms=700, noise_db=-70)
    tail = make_speech_pcm("tarjeta de crédito", "es-MX", lead_ms=0, trail_ms=300, noise_db=-70)
    try:
        for frame in frames(head + tail):  # the pause starts a speculative decode; the caller speaks on
            await stream.push(frame)
        result = await stream.finish()  # before: SpeechShed ("say that again") behind its own speculation
    finally:
        await stream.close()
    assert result.text == "perdí mi tarjeta de crédito"
