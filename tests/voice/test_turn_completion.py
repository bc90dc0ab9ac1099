"""Ending the turn on meaning as well as silence: a complete request is answered after a short pause, a
caller pausing mid-sentence is not cut off. Frames are synthetic (non-zero first byte = speech)."""

from __future__ import annotations

import asyncio
import dataclasses
import math
from collections.abc import AsyncIterator

import pytest
from botbuilder.core import RecognizerResult

from config import RoutingSettings
from recognizers.base import CallerRecognizer, RecognizerUnavailable
from services.speech.base import FRAME_BYTES, SttResult
from tests.support.scripted_recognizer import ScriptedRecognizer
from tests.support.voice_relay import RelayTextToSpeech
from tests.voice.test_pipeline_units import Handler, Sink
from voice.call import VoiceEngines, build_call
from voice.settings import VoiceSettings
from voice.turn_completion import LexicalTurnCompletion, MeaningTurnCompletion, TurnCompletion, Verdict

SPEECH = b"\x01" + b"\x00" * (FRAME_BYTES - 1)
SILENCE = b"\x00" * FRAME_BYTES


class ChunkStream:
    def __init__(self, chunks: list[str]) -> None:
        self._chunks, self._voiced = chunks, 0

    async def push(self, pcm: bytes) -> None:
        self._voiced += sum(1 for i in range(0, len(pcm), FRAME_BYTES) if pcm[i])

    async def partials(self) -> AsyncIterator[SttResult]:
        return
        yield

    async def finish(self) -> SttResult:
        await asyncio.sleep(0)
        heard = self._chunks[: math.ceil(self._voiced / 10)]
        return SttResult(" ".join(heard), True, "en-US", 0, 0, 0.9)

    async def close(self) -> None:
        return None


class ChunkStt:
    """Hears one phrase chunk per 10 voiced frames: a pause after the first chunk gives its words only."""

    def __init__(self, *chunks: str) -> None:
        self.chunks = list(chunks)

    def open_stream(self, locale_hint: str | None = None) -> ChunkStream:
        return ChunkStream(self.chunks)

    async def transcribe(self, pcm: bytes, locale_hint: str | None = None) -> SttResult:
        raise NotImplementedError


async def call(
    stt: ChunkStt,
    frames: list[bytes],
    settle_s: float = 0.05,
    judge: TurnCompletion | None = None,
    frame_s: float = 0.002,
) -> list[tuple[str, object]]:
    sink, handler = Sink(), Handler()
    engines = VoiceEngines(stt, RelayTextToSpeech(first_frame_s=0.0), VoiceSettings())
    pipeline = build_call(
        engines, sink, handler, is_speech=lambda frame: frame[0] != 0, turn_completion=judge
    )
    pipeline.start()
    for frame in frames:
        pipeline.push_audio(frame)
        await asyncio.sleep(frame_s)  # the line keeps sending frames while the verdict is worked out
    await asyncio.sleep(settle_s)
    await pipeline.close()
    return handler.turns


class TwoEngineStream(ChunkStream):
    def __init__(self, chunks: list[str], streamed: list[str]) -> None:
        super().__init__(chunks)
        self._streamed = streamed

    async def finish(self) -> SttResult:
        final = await super().finish()
        heard = self._streamed[: math.ceil(self._voiced / 10)]
        return dataclasses.replace(final, streamed_text=" ".join(heard))


class TwoEngineStt(ChunkStt):
    """The second pass hears ``chunks``; the streaming engine, under it, ``streamed`` (one per chunk)."""

    def __init__(self, chunks: list[str], streamed: list[str]) -> None:
        super().__init__(*chunks)
        self.streamed = streamed

    def open_stream(self, locale_hint: str | None = None) -> TwoEngineStream:
        return TwoEngineStream(self.chunks, self.streamed)


async def test_a_word_that_waits_in_the_streamed_words_holds_a_turn_the_final_calls_complete() -> None:
    # "My card was stolen and (700 ms) I need a new one": the second pass drops the "and" (a whole
    # sentence), the streaming engine under it kept it. Cut at 250 ms before; the caller keeps the turn now.
    frames = [SPEECH] * 10 + [SILENCE] * 35 + [SPEECH] * 10 + [SILENCE] * 60
    stt = TwoEngineStt(
        ["my card was stolen", "and I need a new one"], ["my card was stolen and", "I need a new one"]
    )
    turns = await call(stt, frames, frame_s=REAL_TIME)
    assert turns == [("utterance", "my card was stolen and I need a new one")]


async def test_a_complete_request_is_answered_without_waiting_out_the_long_silence() -> None:
    # 400 ms of silence: less than the 600 ms a plain silence endpointer needs.
    turns = await call(ChunkStt("what is my balance"), [SPEECH] * 10 + [SILENCE] * 20)
    assert turns == [("utterance", "what is my balance")]


async def test_a_pause_after_an_unfinished_phrase_does_not_cut_the_caller_off() -> None:
    # "I want to ... (700 ms) ... block my card": longer than the plain 600 ms end silence.
    frames = [SPEECH] * 10 + [SILENCE] * 35 + [SPEECH] * 10 + [SILENCE] * 40
    turns = await call(ChunkStt("I want to", "block my card"), frames)
    assert turns == [("utterance", "I want to block my card")]


async def test_a_lone_word_waits_the_usual_silence_before_it_ends() -> None:
    frames = [SPEECH] * 10 + [SILENCE] * 20
    assert await call(ChunkStt("balance"), frames) == [], "one word may start a sentence"
    assert await call(ChunkStt("balance"), frames + [SILENCE] * 15) == [("utterance", "balance")]


@pytest.mark.parametrize(
    ("text", "locale", "verdict"),
    [
        ("I lost my credit card", "en-US", Verdict.COMPLETE),
        ("what is my", "en-US", Verdict.INCOMPLETE),
        ("I want to block my card and", "en-US", Verdict.INCOMPLETE),
        ("my card was stolen so please block it", "en-US", Verdict.COMPLETE),
        ("quiero bloquear mi tarjeta", "es-MX", Verdict.COMPLETE),
        ("cuál es el saldo de", "es-MX", Verdict.INCOMPLETE),
        ("quisiera saber más", "es-MX", Verdict.COMPLETE),
        ("quiero saber", "es-MX", Verdict.INCOMPLETE),
        ("I would like to know", "en-US", Verdict.INCOMPLETE),
        ("I want to know my balance", "en-US", Verdict.COMPLETE),
        ("podría", "es-MX", Verdict.INCOMPLETE),
        ("", "en-US", Verdict.UNKNOWN),
        # A verb still waiting for its object, unless it has one: passive, pronoun before it, fronted.
        ("someone stole", "en-US", Verdict.INCOMPLETE),
        ("please block", "en-US", Verdict.INCOMPLETE),
        ("my card was stolen", "en-US", Verdict.COMPLETE),
        ("my card was used", "en-US", Verdict.COMPLETE),
        ("which card did you block", "en-US", Verdict.COMPLETE),
        ("how much do I owe", "en-US", Verdict.COMPLETE),
        ("necesito cancelar", "es-MX", Verdict.INCOMPLETE),
        ("perdí", "es-MX", Verdict.INCOMPLETE),
        ("ayer la perdí", "es-MX", Verdict.COMPLETE),
    ],
)
async def test_lexical_verdicts(text: str, locale: str, verdict: Verdict) -> None:
    assert await LexicalTurnCompletion().verdict(text, locale) is verdict


REAL_TIME = 0.02  # the recognizer's verdict is awaited: frames come at the line's pace meanwhile


class DownRecognizer(CallerRecognizer):
    async def recognize_text(self, text: str, locale_hint: str | None = None) -> RecognizerResult:
        raise RecognizerUnavailable("timeout")


def meaning(recognizer: CallerRecognizer, timeout_s: float = 1.0) -> MeaningTurnCompletion:
    """The app's judge: the words, and the bot's recognizer at the routing threshold."""
    return MeaningTurnCompletion(recognizer, RoutingSettings().high_threshold, timeout_s=timeout_s)


# What the trained recognizer answers for these (test_the_recognizer_decides_a_finished_phrase_is_a_request
# checks the real one); scripted here so the pipeline's timing does not hang on a loaded machine's NLU.
UNDERSTOOD = ScriptedRecognizer(
    DownRecognizer(),
    {
        "what is my balance": ("CheckBalance", 0.99),
        "that sounds interesting": ("None", 0.63),
        "please block": ("BlockCard", 0.93),
        "please block my debit card": ("BlockCard", 0.99),
    },
)


async def test_a_request_the_recognizer_understands_is_answered_after_the_short_silence() -> None:
    frames = [SPEECH] * 10 + [SILENCE] * 20  # 400 ms: less than the plain 600 ms
    turns = await call(ChunkStt("what is my balance"), frames, judge=meaning(UNDERSTOOD), frame_s=REAL_TIME)
    assert turns == [("utterance", "what is my balance")]


async def test_a_finished_sentence_that_is_no_request_waits_the_usual_silence() -> None:
    # "That sounds interesting. (420 ms) I'm going to give this a try.": a whole sentence, yet no request.
    frames = [SPEECH] * 10 + [SILENCE] * 21 + [SPEECH] * 10 + [SILENCE] * 40
    stt = ChunkStt("that sounds interesting", "I'm going to give this a try")
    turns = await call(stt, frames, judge=meaning(UNDERSTOOD), frame_s=REAL_TIME)
    assert turns == [("utterance", "that sounds interesting I'm going to give this a try")]


async def test_a_verb_waiting_for_its_object_keeps_the_turn_open() -> None:
    # "please block (800 ms) my debit card": the recognizer is sure it is BlockCard, the words are not done.
    frames = [SPEECH] * 10 + [SILENCE] * 40 + [SPEECH] * 10 + [SILENCE] * 40
    stt = ChunkStt("please block", "my debit card")
    turns = await call(stt, frames, judge=meaning(UNDERSTOOD), frame_s=REAL_TIME)
    assert turns == [("utterance", "please block my debit card")]


class RecordingRecognizer(DownRecognizer):
    def __init__(self) -> None:
        self.heard: list[str] = []

    async def recognize_text(self, text: str, locale_hint: str | None = None) -> RecognizerResult:
        self.heard.append(text)
        return await super().recognize_text(text, locale_hint)


async def test_digits_said_at_a_pause_never_reach_the_recognizer() -> None:
    recognizer = RecordingRecognizer()
    judge = meaning(recognizer)
    for said in ("my pin is 4321", "1 2 3 4", "C 1 0 0 1", "my number is 425 555 0100"):
        assert await judge.verdict(said, "en-US") is Verdict.UNKNOWN
    assert await judge.verdict("what is my balance", "en-US") is Verdict.UNKNOWN
    assert recognizer.heard == ["what is my balance"]


async def test_a_recognizer_that_cannot_answer_leaves_the_turn_to_the_usual_silence() -> None:
    frames = [SPEECH] * 10 + [SILENCE] * 20
    judge = meaning(DownRecognizer())
    assert await call(ChunkStt("what is my balance"), frames, judge=judge) == []
    frames += [SILENCE] * 15  # 700 ms in all
    turns = await call(ChunkStt("what is my balance"), frames, judge=judge)
    assert turns == [("utterance", "what is my balance")]


@pytest.mark.parametrize(
    ("text", "locale", "verdict"),
    [
        ("what is my balance", "en-US", Verdict.COMPLETE),
        ("I lost my credit card", "en-US", Verdict.COMPLETE),
        ("cuál es mi saldo", "es-MX", Verdict.COMPLETE),
        ("that sounds interesting", "en-US", Verdict.UNKNOWN),
        ("it's the new feature", "en-US", Verdict.UNKNOWN),
        ("please block", "en-US", Verdict.INCOMPLETE),
        ("what is the balance of", "en-US", Verdict.INCOMPLETE),
    ],
)
async def test_the_recognizer_decides_a_finished_phrase_is_a_request(
    trained_recognizer: CallerRecognizer, text: str, locale: str, verdict: Verdict
) -> None:
    assert await meaning(trained_recognizer, timeout_s=60.0).verdict(text, locale) is verdict


class SlowFinalStream(ChunkStream):
    """Streams the words heard so far as partials; the final result takes a second (a slow second pass)."""

    def __init__(self, chunks: list[str]) -> None:
        super().__init__(chunks)
        self._partials: asyncio.Queue[str] = asyncio.Queue()

    async def push(self, pcm: bytes) -> None:
        before = math.ceil(self._voiced / 10)
        await super().push(pcm)
        if math.ceil(self._voiced / 10) != before:
            self._partials.put_nowait(" ".join(self._chunks[: math.ceil(self._voiced / 10)]))

    async def partials(self) -> AsyncIterator[SttResult]:
        while True:
            yield SttResult(await self._partials.get(), False, "en-US", 0, 0)

    async def finish(self) -> SttResult:
        await asyncio.sleep(1.0)
        return await super().finish()


class SlowFinalStt(ChunkStt):
    def open_stream(self, locale_hint: str | None = None) -> SlowFinalStream:
        return SlowFinalStream(self.chunks)


async def test_an_unfinished_partial_keeps_the_turn_open_while_a_slow_final_is_coming() -> None:
    frames = [SPEECH] * 10 + [SILENCE] * 35 + [SPEECH] * 10 + [SILENCE] * 60
    turns = await call(SlowFinalStt("I want to", "block my card"), frames, settle_s=1.5)
    assert turns == [("utterance", "I want to block my card")]


class SlowSilentStream(ChunkStream):
    """No partials, and the final takes a second: nothing says yet whether the phrase is over."""

    async def finish(self) -> SttResult:
        await asyncio.sleep(1.0)
        return await super().finish()


class SlowSilentStt(ChunkStt):
    def open_stream(self, locale_hint: str | None = None) -> SlowSilentStream:
        return SlowSilentStream(self.chunks)


async def test_a_long_pause_is_not_cut_while_the_words_are_still_being_recognised() -> None:
    # 700 ms of silence mid-sentence, longer than the plain 600 ms, while the recogniser has not answered:
    # ending the turn then would gain nothing (the reply needs those words) and cut the caller off.
    frames = [SPEECH] * 10 + [SILENCE] * 35 + [SPEECH] * 10 + [SILENCE] * 60
    turns = await call(SlowSilentStt("my card was stolen", "yesterday"), frames, settle_s=1.5)
    assert turns == [("utterance", "my card was stolen yesterday")]
