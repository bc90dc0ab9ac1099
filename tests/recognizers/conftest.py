"""Recognizer fixtures: the embedded recognizer trained once per session with a fixed reference clock."""

from __future__ import annotations

import pytest
from nlu_testdata import PROJECT_FILE, REFERENCE

from config import Settings
from dialogs.registry import registered_intents
from recognizers.embedded_recognizer import EmbeddedRecognizer
from tests.support.locks import build_lock


@pytest.fixture(scope="session")
def nlu() -> EmbeddedRecognizer:
    cache_dir = Settings(_env_file=None).nlu_cache_dir
    recognizer = EmbeddedRecognizer(PROJECT_FILE, cache_dir, registered_intents(), clock=lambda: REFERENCE)
    with build_lock(cache_dir):  # parallel workers: one embeds, the other reads its cache
        recognizer.train()
    return recognizer
