"""Recognizer fixtures: the embedded recognizer trained once per session with a fixed reference clock."""

from __future__ import annotations

import pytest
from nlu_testdata import PROJECT_FILE, REFERENCE, TEST_DATA_DIR

from recognizers.embedded_recognizer import EmbeddedRecognizer


@pytest.fixture(scope="session")
def nlu() -> EmbeddedRecognizer:
    recognizer = EmbeddedRecognizer(PROJECT_FILE, TEST_DATA_DIR / "nlu-cache", clock=lambda: REFERENCE)
    recognizer.train()
    return recognizer
