"""N-best rescoring of whisper's English readings against the domain LM: words change, numbers never."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from services.speech.embedded_stt import DOMAIN_WEIGHT, build_english_pass
from services.speech.nbest import DomainLM, Reading, numbers, rescore
from services.speech.vocabulary import load_vocabulary
from services.speech.whisper_engine import WhisperEngine
from tests.support.speech_fixtures import make_speech_pcm, telephone_band

PROJECT = Path(__file__).resolve().parents[3] / "cognitiveModels" / "banking.clu.json"


@pytest.fixture(scope="module")
def lm() -> DomainLM:
    return DomainLM(load_vocabulary(PROJECT).for_language("en"))


def test_a_close_reading_in_the_banks_words_is_kept_over_whispers_first(lm: DomainLM) -> None:
    readings = [
        Reading("how much cash is left in packing.", -0.30),
        Reading("how much cash is left in checking.", -0.33),
    ]
    assert readings[rescore(readings, lm, DOMAIN_WEIGHT)].text == "how much cash is left in checking."


def test_a_far_less_likely_reading_is_not_taken_for_its_words(lm: DomainLM) -> None:
    readings = [Reading("i'd like to open a mortgage.", -0.2), Reading("i'd like to check my balance.", -1.5)]
    assert rescore(readings, lm, DOMAIN_WEIGHT) == 0


@pytest.mark.parametrize("weight", [DOMAIN_WEIGHT, 5.0])
def test_digits_are_never_rescored_into_words_or_other_digits(lm: DomainLM, weight: float) -> None:
    readings = [
        Reading("1 2 1 2.", -0.40),
        Reading("one two one two.", -0.41),  # the same PIN in words: still not whisper's reading
        Reading("i want to block my card.", -0.45),
        Reading("1 2 1 3.", -0.40),
    ]
    assert rescore(readings, lm, weight) == 0


def test_nothing_heard_stays_nothing(lm: DomainLM) -> None:
    assert rescore([Reading("", -0.1), Reading("what is my balance", -0.2)], lm, 5.0) == 0


def test_numbers_are_read_as_written() -> None:
    assert numbers("my pin is 4 7, 19 and twenty-one") == ("4", "7", "19", "twenty", "one")
    assert numbers("one two") != numbers("1 2")


@pytest.fixture(scope="module")
def project_english_pass() -> WhisperEngine:
    return build_english_pass(load_vocabulary(PROJECT))


@pytest.mark.parametrize("phone", [False, True], ids=["16k", "8k"])
@pytest.mark.parametrize("said", ["one two three four", "four seven one nine", "two zero two four"])
async def test_a_pin_said_as_digits_keeps_the_digits_whisper_heard(
    project_english_pass: WhisperEngine, said: str, phone: bool
) -> None:
    # whisper's beam holds the same PIN as words ("one two three four.") and, on a phone line, domain
    # phrases; the domain LM prefers both to digits, so only the rule keeps what whisper heard first.
    pcm = make_speech_pcm(said, "en-US", lead_ms=300, trail_ms=600, noise_db=-70)
    pcm = telephone_band(pcm) if phone else pcm
    audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    decoded = await asyncio.to_thread(project_english_pass.short_readings, audio, "en")
    result = await asyncio.to_thread(project_english_pass.transcribe, pcm, "en")
    first = decoded[0][0].text if decoded else result.text
    assert numbers(result.text) == numbers(first), (result.text, first)
