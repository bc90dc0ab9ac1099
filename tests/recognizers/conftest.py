"""Recognizer fixtures: the embedded recognizer with a fixed reference clock (trained once for every
session: tests/support/trained_model.py)."""

from __future__ import annotations

import pytest
from nlu_testdata import REFERENCE

from recognizers.embedded_recognizer import EmbeddedRecognizer
from tests.support.trained_model import trained_recognizer


@pytest.fixture(scope="session")
def nlu() -> EmbeddedRecognizer:
    return trained_recognizer(clock=lambda: REFERENCE)
