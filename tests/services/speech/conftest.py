"""Shared speech-test fixtures: engines loaded once per session (whisper takes ~3 s), espeak-ng speech."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.speech.embedded_stt import EmbeddedSpeechToText, build_engines, build_english_pass
from services.speech.sphinx_engine import SphinxModel, SphinxUtterance
from services.speech.vocabulary import DomainVocabulary, load_vocabulary
from services.speech.whisper_engine import WhisperEngine
from tests.support.speech_fixtures import make_speech_pcm


@pytest.fixture(scope="session")
def speech_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech-data")


@pytest.fixture(scope="session")
def engines(speech_data_dir: Path) -> tuple[SphinxModel, WhisperEngine]:
    sphinx, whisper = build_engines(speech_data_dir, load_vocabulary(None))
    # A server that has heard one utterance: pocketsphinx's live cepstral mean starts adapted, so test
    # results do not depend on which test happens to run first.
    utterance = SphinxUtterance(sphinx)
    utterance.process(make_speech_pcm("what is my balance", "en-US", lead_ms=300, trail_ms=600, noise_db=-70))
    utterance.finish()
    return sphinx, whisper


@pytest.fixture(scope="session")
def english_pass() -> WhisperEngine:
    return build_english_pass(load_vocabulary(None))


@pytest.fixture
def stt(
    speech_data_dir: Path, engines: tuple[SphinxModel, WhisperEngine], english_pass: WhisperEngine
) -> EmbeddedSpeechToText:
    """The engine as a call uses it, except that ``finish`` always waits for the English second pass
    (whether it is ready in time depends on the machine's load, which a test must not)."""
    return waiting_stt(speech_data_dir, engines, english_pass, load_vocabulary(None))


def waiting_stt(
    data_dir: Path,
    engines: tuple[SphinxModel, WhisperEngine],
    english_pass: WhisperEngine,
    vocabulary: DomainVocabulary,
) -> EmbeddedSpeechToText:
    """An engine on loaded models whose ``finish`` always waits for the English second pass."""
    sphinx, whisper = engines
    return EmbeddedSpeechToText(
        data_dir,
        vocabulary=vocabulary,
        sphinx=sphinx,
        whisper=whisper,
        english_pass=english_pass,
        second_pass_budget_ms=None,
    )
