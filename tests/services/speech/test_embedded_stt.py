"""Embedded speech-to-text on espeak-ng speech: keywords an intent needs, partials, language, formats."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest

from dialogs.spoken_answers import pin_from, spoken_digits
from services.speech import whisper_engine
from services.speech.base import UnsupportedAudioFormat
from services.speech.embedded_stt import EmbeddedSpeechToText
from services.speech.vocabulary import load_vocabulary, normalize
from services.speech.whisper_engine import WhisperResult, cut_loop
from tests.support.speech_fixtures import frames, make_speech_pcm


def speech(text: str, lang: str) -> bytes:
    return make_speech_pcm(text, lang, lead_ms=300, trail_ms=300, noise_db=-70)


async def stream_frames(stt: EmbeddedSpeechToText, pcm: bytes, hint: str | None):
    """Push 20 ms frames in order; return (final, partials seen before finish was called)."""
    stream = stt.open_stream(hint)
    seen = []

    async def collect() -> None:
        async for partial in stream.partials():
            seen.append(partial)

    collector = asyncio.create_task(collect())
    for frame in frames(pcm):
        await stream.push(frame)
    await asyncio.sleep(0)
    before_finish = list(seen)
    final = await stream.finish()
    await stream.close()
    await collector
    return final, before_finish


@pytest.mark.parametrize(
    ("text", "keywords"),
    # "lost" is the word pocketsphinx drops most ("are"/"was credit card") when the utterance starts
    # cold; "credit card" carries the block-card intent.
    [("I lost my credit card", {"credit", "card"}), ("what is my balance", {"balance"})],
)
async def test_english_utterances_keep_the_words_an_intent_needs(stt, text, keywords) -> None:
    final, _ = await stream_frames(stt, speech(text, "en-US"), "en-US")
    assert final.is_final and final.language == "en-US"
    assert keywords <= set(normalize(final.text).split())
    assert 0 <= final.start_ms < final.end_ms


async def test_partials_arrive_before_the_final_result(stt) -> None:
    final, before_finish = await stream_frames(stt, speech("I lost my credit card", "en-US"), "en-US")
    assert before_finish, "no partial hypothesis while audio was still streaming"
    assert all(not p.is_final for p in before_finish)
    assert "card" in final.text


async def test_spanish_utterance_is_recognised_in_spanish(stt) -> None:
    final, _ = await stream_frames(stt, speech("quiero bloquear mi tarjeta", "es-MX"), "es-MX")
    assert final.language == "es-MX"
    words = set(final.text.lower().replace(".", "").split())
    assert {"bloquear", "tarjeta"} <= words


@pytest.mark.parametrize(
    ("text", "lang", "keyword"),
    [("quiero hablar con un agente", "es-MX", "hablar"), ("I want to talk to an agent", "en-US", "agent")],
)
async def test_without_a_hint_the_language_is_detected(stt, text, lang, keyword) -> None:
    final = await stt.transcribe(speech(text, lang))
    assert final.language == lang
    assert keyword in final.text.lower()


async def test_silence_gives_an_empty_result(stt) -> None:
    final = await stt.transcribe(b"\x00\x00" * 16000, "en-US")
    assert final.text == ""


async def test_non_16_khz_audio_is_refused(stt) -> None:
    with pytest.raises(UnsupportedAudioFormat):
        stt.open_stream("en-US", sample_rate=8000)
    with pytest.raises(UnsupportedAudioFormat):
        await stt.transcribe(b"\x00\x00" * 8000, "en-US", sample_rate=8000)
    stream = stt.open_stream("en-US")
    with pytest.raises(UnsupportedAudioFormat):
        await stream.push(b"\x00\x00\x00")
    await stream.close()


async def test_domain_language_model_is_built_from_the_clu_project(tmp_path: Path) -> None:
    project = {
        "projectFileVersion": "2023-04-01",
        "metadata": {"language": "en-us"},
        "assets": {
            "projectKind": "Conversation",
            "utterances": [
                {"text": "I want to order a new checkbook", "language": "en-us", "intent": "OrderChecks"},
                {"text": "Order checkbooks please", "language": "en-us", "intent": "OrderChecks"},
                {"text": "Quiero pedir una chequera", "language": "es-mx", "intent": "OrderChecks"},
            ],
            "entities": [
                {
                    "category": "AccountType",
                    "list": {
                        "sublists": [
                            {
                                "listKey": "checking",
                                "synonyms": [
                                    {"language": "en-us", "values": ["checking", "current account"]},
                                    {"language": "es-mx", "values": ["cuenta de cheques"]},
                                ],
                            }
                        ]
                    },
                }
            ],
        },
    }
    clu = tmp_path / "banking.clu.json"
    clu.write_text(json.dumps(project))
    vocabulary = load_vocabulary(clu)
    assert "i want to order a new checkbook" in vocabulary.for_language("en")
    assert "quiero pedir una chequera" in vocabulary.for_language("es")
    assert "current account" in vocabulary.hints
    assert vocabulary.hints_by_language["es"] == ("cuenta de cheques",)
    stt = EmbeddedSpeechToText(tmp_path, vocabulary=vocabulary)
    final = await stt.transcribe(speech("I want to order a new checkbook", "en-US"), "en-US")
    await stt.close()
    assert "checkbook" in final.text


def test_missing_clu_project_falls_back_to_built_in_phrases(tmp_path: Path) -> None:
    vocabulary = load_vocabulary(tmp_path / "absent.clu.json")
    assert vocabulary.source == "builtin"
    assert any("balance" in p for p in vocabulary.for_language("en"))
    assert any("tarjeta" in p for p in vocabulary.for_language("es"))


def test_the_project_clu_file_feeds_both_languages() -> None:
    clu = Path(__file__).resolve().parents[3] / "cognitiveModels" / "banking.clu.json"
    vocabulary = load_vocabulary(clu)
    assert len(vocabulary.for_language("en")) > 100 and len(vocabulary.for_language("es")) > 100
    assert vocabulary.hints_by_language["en"] and vocabulary.hints_by_language["es"]


async def test_whispers_domain_prompt_does_not_grow_with_the_clu_project(speech_data_dir: Path) -> None:
    # Every prompt token is attended at each decode step, so a longer prompt makes every reply slower: the
    # 73-token English prompt doubled tiny.en's per-step cost, and single-call latency had 5-24 ms of margin
    # to its target. Picked from the CLU file by position, it grew to 111 (en) / 107 (es) tokens when the
    # project grew from 934 to 2,676 utterances. 73 and 77: the prompts session 9 measured.
    clu = Path(__file__).resolve().parents[3] / "cognitiveModels" / "banking.clu.json"
    stt = EmbeddedSpeechToText(speech_data_dir, vocabulary=load_vocabulary(clu))
    english, multilingual = await stt.english_pass(), await stt.whisper()
    await stt.close()
    assert english is not None
    assert english.prompt_tokens("en") <= 73
    assert multilingual.prompt_tokens("es") <= 77


async def test_spanish_decoding_starts_during_the_end_of_utterance_silence(stt) -> None:
    stream = stt.open_stream("es-MX")
    for frame in frames(speech("quiero hablar con un asesor", "es-MX") + b"\x00\x00" * 9600):
        await stream.push(frame)  # speech, then the 600 ms the endpointer waits before it decides
    partials = stream.partials()
    early = await asyncio.wait_for(anext(partials), 30)
    final = await stream.finish()
    await stream.close()
    assert not early.is_final and early.text == final.text
    assert "hablar" in final.text.lower()


async def test_hanging_up_mid_utterance_closes_cleanly_and_the_engine_keeps_serving(stt) -> None:
    pcm = speech("I want to block my card", "en-US")
    stream = stt.open_stream("en-US")
    pushes = [asyncio.create_task(stream.push(frame)) for frame in frames(pcm)[:40]]
    await asyncio.sleep(0)
    await stream.close()  # the caller hung up while audio was still being decoded
    await asyncio.gather(*pushes, return_exceptions=True)
    partials = [p async for p in stream.partials()]
    assert all(not p.is_final for p in partials)
    again = await stt.transcribe(speech("what is my balance", "en-US"), "en-US")
    assert "balance" in again.text


class _StuckEnglishPass:
    """A second-pass engine that has not finished yet (until released)."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def transcribe(self, pcm: bytes, language: str) -> WhisperResult:
        self.release.wait(30)
        return WhisperResult("something else entirely", language, 0, 100, 0.9)


async def test_a_second_pass_not_ready_in_time_leaves_the_streamed_result(speech_data_dir, engines) -> None:
    sphinx, whisper = engines
    stuck = _StuckEnglishPass()
    stt = EmbeddedSpeechToText(
        speech_data_dir,
        vocabulary=load_vocabulary(None),
        sphinx=sphinx,
        whisper=whisper,
        english_pass=stuck,  # type: ignore[arg-type]
        second_pass_budget_ms=0,
    )
    try:
        final, _ = await stream_frames(stt, speech("what is my balance", "en-US"), "en-US")
    finally:
        stuck.release.set()
    assert final.is_final and "balance" in final.text.split()
    assert "else" not in final.text


@pytest.mark.parametrize("text", ["my pin is four seven one nine", "one two one two"])
async def test_a_pin_said_by_voice_comes_out_as_its_digits(stt, text) -> None:
    # The English second pass writes digits ("1, 2, 1, 2."), and out of its 30 s window it says them
    # again: the PIN reader must still find exactly these four.
    final, _ = await stream_frames(stt, speech(text, "en-US"), "en-US")
    assert pin_from(final.text) == spoken_digits(text), final.text


def test_a_repeated_sentence_is_cut_but_a_loop_with_digits_is_refused() -> None:
    assert cut_loop("i lost my card. i lost my card. i lost my", 2.0) == "i lost my card."
    assert cut_loop("one, two, one, two. one, two.", 2.0) is None  # "1212" or "12": decoded again
    assert cut_loop("1 2 3 4 1 2 3 4 1 2 3 4", 2.0) is None  # more words than two seconds hold
    assert cut_loop("1, 2, 1, 2.", 1.5) == "1, 2, 1, 2."
    assert cut_loop("i lost my card. please block it.", 2.5) == "i lost my card. please block it."


async def test_a_sentence_longer_than_the_first_decode_budget_is_heard_to_its_end(
    english_pass, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The short-window decode stops at a first budget of tokens (past it whisper usually repeats the
    # phrase); a sentence that needs more is decoded on from what was said, not cut at the budget.
    monkeypatch.setattr(whisper_engine, "_FIRST_TOKENS", 1)
    monkeypatch.setattr(whisper_engine, "_FIRST_TOKENS_PER_S", 1)
    said = "my debit card was stolen yesterday at the supermarket so please block it"
    result = await asyncio.to_thread(english_pass.transcribe, speech(said, "en-US"), "en")
    words = normalize(result.text).split()
    assert {"stolen", "supermarket"} <= set(words) and words[-1] in {"it", "them"}, result.text


async def test_the_english_final_carries_the_streaming_engines_reading_for_turn_completion(stt) -> None:
    # Turn completion holds a pause when pocketsphinx's reading ends on a word that waits ("...stolen
    # and") even though whisper's does not: the final must carry both.
    final, _ = await stream_frames(stt, speech("what is my balance", "en-US"), "en-US")
    assert "balance" in normalize(final.text).split()
    assert "balance" in normalize(final.streamed_text).split(), final.streamed_text
