"""Recognizer fixtures: the embedded recognizer trained once per session with a fixed reference clock."""

from __future__ import annotations

import pytest
from nlu_testdata import PROJECT_FILE, REFERENCE

from config import Settings
from dialogs.registry import registered_intents
from recognizers.embedded_recognizer import EmbeddedRecognizer


@pytest.fixture(scope="session")
def nlu() -> EmbeddedRecognizer:
    recognizer = EmbeddedRecognizer(
        PROJECT_FILE, Settings(_env_file=None).nlu_cache_dir, registered_intents(), clock=lambda: REFERENCE
    )
    recognizer.train()
    return recognizer
