"""The classifier's numpy path gives sklearn's calibrated probabilities on every tuning and dev text."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


def _texts(name: str) -> list[str]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


@pytest.mark.parametrize("name", ["routing_tuning.jsonl", "nlu_dev.jsonl"])
def test_numpy_probabilities_equal_sklearn_predict_proba(nlu, name):
    texts = [*_texts(name), "", "uh", "¿cuánto debo?", "12345"]
    fast, reference = nlu.sklearn_probabilities(texts)
    assert fast.shape == reference.shape == (len(texts), len(nlu.classifier_scores(["hola"])[0]))
    # An sklearn upgrade that changes its calibration arithmetic fails here instead of drifting silently.
    assert np.max(np.abs(fast - reference)) <= 1e-9
    assert (fast.argmax(axis=1) == reference.argmax(axis=1)).all()
