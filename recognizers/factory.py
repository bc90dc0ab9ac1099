"""Chooses the recognizer from settings: embedded (default, offline) or Azure CLU (embedded as its twin)."""

from __future__ import annotations

from collections.abc import Collection

from config import RecognizerBackend, Settings
from core.resilience import EventSink, twin_fallback
from recognizers.base import CallerRecognizer


def create_recognizer(
    settings: Settings, intents: Collection[str], telemetry: EventSink | None = None
) -> CallerRecognizer:
    """``RECOGNIZER=embedded`` (trained from the project file on ``warm_up``) or ``RECOGNIZER=clu``, which
    falls back to the embedded recognizer for a turn when CLU is unreachable or slow.

    ``intents`` are the registered ones (dialogs/registry.py ``registered_intents()``): handed in, not
    imported, because dialogs read recognizer results and so depend on this package, not the reverse.
    """
    from recognizers.embedded_recognizer import EmbeddedRecognizer

    embedded = EmbeddedRecognizer(settings.clu_project_file, settings.nlu_cache_dir, intents)
    if settings.recognizer is RecognizerBackend.CLU:
        from recognizers.clu_recognizer import CluRecognizer
        from recognizers.fallback import FallbackRecognizer

        fallback = twin_fallback("clu", settings, telemetry)
        # CLU's scores pass the twin's out-of-scope gate: one "question, not an action" rule for both.
        clu = CluRecognizer(settings, intents, out_of_scope=embedded.out_of_scope_scores)
        return FallbackRecognizer(clu, embedded, fallback)
    return embedded
