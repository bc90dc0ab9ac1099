"""Phone-band English whose words change the intent reaches the dialog the caller asked for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from config import RoutingSettings
from recognizers.base import top_intent
from services.speech.embedded_stt import EmbeddedSpeechToText, build_english_pass
from services.speech.sphinx_engine import SphinxModel
from services.speech.vocabulary import load_vocabulary
from services.speech.whisper_engine import WhisperEngine
from tests.services.speech.conftest import waiting_stt
from tests.support.speech_fixtures import frames, make_speech_pcm, telephone_band

PROJECT = Path(__file__).resolve().parents[3] / "cognitiveModels" / "banking.clu.json"


async def heard(stt: EmbeddedSpeechToText, text: str) -> str:
    """What the embedded engine hears of ``text`` spoken by espeak-ng through an 8 kHz phone line."""
    pcm = telephone_band(make_speech_pcm(text, "en-US", lead_ms=300, trail_ms=600, noise_db=-70))
    stream = stt.open_stream("en-US")
    for frame in frames(pcm):
        await stream.push(frame)
    final = await stream.finish()
    await stream.close()
    return final.text


@pytest.fixture(scope="module")
def project_english_pass() -> WhisperEngine:
    """whisper tiny.en as the bot builds it: n-best rescoring from the CLU project's phrases (the prompt is
    the locale catalogue's, whatever the vocabulary)."""
    return build_english_pass(load_vocabulary(PROJECT))


async def assert_runs_without_asking(
    stt: EmbeddedSpeechToText, recognizer: Any, said: str, intent: str
) -> None:
    """``said`` through the phone line reaches ``intent`` at or above the threshold that runs it unasked."""
    text = await heard(stt, said)
    top, score = top_intent(await recognizer.recognize_text(text, "en-US"))
    assert (top, score >= RoutingSettings().high_threshold) == (intent, True), f"heard {text!r}"


@pytest.fixture
def project_stt(
    speech_data_dir: Path, engines: tuple[SphinxModel, WhisperEngine], project_english_pass: WhisperEngine
) -> EmbeddedSpeechToText:
    """The engine of a call on the bot's own vocabulary; ``finish`` always waits for the second pass."""
    return waiting_stt(speech_data_dir, engines, project_english_pass, load_vocabulary(PROJECT))


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        # The call: heard as "are my credit card", it was confirmed as card payment details.
        ("I lost my credit card", "BlockCard"),
        # Each of these was missed on pocketsphinx alone (wrong intent or a confirmation question).
        # Heard "what am i on my credit card" (0.69: a confirmation question) before the n-best rescoring;
        # now "what's in my credit card", a reading lower in whisper's beam. "owe" is in none of them.
        # Still heard so with the 2,676-utterance CLU project, but the recognizer trained on it scores that
        # reading below ROUTING__HIGH_THRESHOLD (routing's known miss, not the speech path's): strict, so
        # it fails loudly once routing runs it again without asking.
        pytest.param(
            "what do I owe on my credit card",
            "CardPaymentInfo",
            marks=pytest.mark.xfail(strict=True, reason="heard as before; now asked to confirm"),
        ),
        ("I do not recognize this charge", "ReportFraud"),
        ("when is my card payment due", "CardPaymentInfo"),
    ],
)
async def test_phone_band_request_runs_its_dialog_without_a_confirmation_question(
    stt, trained_recognizer, said: str, intent: str
) -> None:
    await assert_runs_without_asking(stt, trained_recognizer, said, intent)


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        # whisper's first reading at 8 kHz drops the word that names the request ("i need my mail in some
        # of my savings account", "how much cash is left in packing": no intent); a lower reading in its
        # beam keeps it, and the domain LM ranks that one first.
        ("I need the balance of my savings account", "CheckBalance"),
        ("how much cash is left in checking", "CheckBalance"),
    ],
)
async def test_a_word_whispers_first_reading_misses_is_taken_from_its_next_reading(
    project_stt, trained_recognizer, said: str, intent: str
) -> None:
    await assert_runs_without_asking(project_stt, trained_recognizer, said, intent)
