"""Chooses the recognizer from settings: embedded (default, offline) or Azure CLU."""

from __future__ import annotations

from config import RecognizerBackend, Settings
from recognizers.base import CallerRecognizer


def create_recognizer(settings: Settings) -> CallerRecognizer:
    """``RECOGNIZER=embedded`` (trained from the project file on ``warm_up``) or ``RECOGNIZER=clu``."""
    if settings.recognizer is RecognizerBackend.CLU:
        from recognizers.clu_recognizer import CluRecognizer

        return CluRecognizer(settings)
    from recognizers.embedded_recognizer import EmbeddedRecognizer

    return EmbeddedRecognizer(settings.clu_project_file, settings.nlu_cache_dir)
