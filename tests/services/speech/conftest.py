"""Shared speech-test fixtures: engines loaded once per session (whisper takes ~3 s), espeak-ng speech."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.speech.embedded_stt import EmbeddedSpeechToText, build_engines
from services.speech.sphinx_engine import SphinxModel
from services.speech.vocabulary import load_vocabulary
from services.speech.whisper_engine import WhisperEngine


@pytest.fixture(scope="session")
def speech_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech-data")


@pytest.fixture(scope="session")
def engines(speech_data_dir: Path) -> tuple[SphinxModel, WhisperEngine]:
    return build_engines(speech_data_dir, load_vocabulary(None))


@pytest.fixture
def stt(speech_data_dir: Path, engines: tuple[SphinxModel, WhisperEngine]) -> EmbeddedSpeechToText:
    sphinx, whisper = engines
    return EmbeddedSpeechToText(
        speech_data_dir, vocabulary=load_vocabulary(None), sphinx=sphinx, whisper=whisper
    )
