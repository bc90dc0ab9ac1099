"""The NLU's on-disk embedding cache keeps every project's vectors: editing or switching projects re-embeds
only texts it has never seen."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recognizers.embedded_recognizer import EmbeddedRecognizer


class CountingEmbedder:
    """Stands in for e5 (a unit test of the cache, not of the model): a fixed vector per text, counted."""

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.embedded.extend(texts)
        return np.array([[float(len(t)), 1.0, 0.0] for t in texts], dtype=np.float32)


def test_switching_between_two_projects_embeds_each_text_once(tmp_path: Path, monkeypatch):
    recognizer = EmbeddedRecognizer(tmp_path / "unused.clu.json", cache_dir=tmp_path)
    embedder = CountingEmbedder()
    monkeypatch.setattr(recognizer, "_embed", embedder)
    banking, toy = ["check my balance", "block my card"], ["order a pizza", "check my balance"]

    first, hit = recognizer._cached_embeddings(banking)
    assert not hit and embedder.embedded == banking
    _, hit = recognizer._cached_embeddings(toy)
    assert not hit and embedder.embedded == [*banking, "order a pizza"]
    again, hit = recognizer._cached_embeddings(banking)  # back to the first project

    assert hit and embedder.embedded == [*banking, "order a pizza"]
    np.testing.assert_array_equal(again, first)
