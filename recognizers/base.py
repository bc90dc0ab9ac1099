"""The recognizer port: turns a caller's utterance into botbuilder's RecognizerResult."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from botbuilder.core import IntentScore, Recognizer, RecognizerResult, TurnContext

from recognizers.text import clean

NONE_INTENT = "None"
"""CLU's built-in intent for anything out of scope; every project file has it. The other intents are
registered in dialogs/registry.py, which hands them to the recognizers (``registered_intents()``)."""

LANGUAGE_PROPERTY = "language"
"""Key in ``RecognizerResult.properties`` holding the detected language: ``en`` or ``es``."""

# Canonical entity keys in RecognizerResult.entities; each maps to a list of normalised values.
ENTITY_ACCOUNT_TYPE = "account_type"  # "savings" | "checking" | "credit_card"
ENTITY_CARD_TYPE = "card_type"  # "credit" | "debit"
ENTITY_AMOUNT = "amount"  # [{"value": "250.00", "unit": "Dollar"}]
ENTITY_DATETIME = "datetime"  # [{"type": "date", "value": "2026-11-30"}] (Recognizers-Text resolution)
ENTITY_NUMBER = "number"  # ["4", "1234"]


class RecognizerUnavailable(Exception):
    """The recognizer's backend could not answer (timeout, auth, network)."""


class CallerRecognizer(Recognizer, ABC):
    """A botbuilder Recognizer that works on plain text, so the CLI, benchmarks and voice path share it."""

    @abstractmethod
    async def recognize_text(self, text: str, locale_hint: str | None = None) -> RecognizerResult:
        """Classify one utterance. ``locale_hint`` (``en-US``/``es-MX``) biases language detection."""

    async def warm_up(self) -> object:
        """Prepare before the first call (train, connect). Nothing to do by default."""
        return None

    async def recognize(self, turn_context: TurnContext) -> RecognizerResult:
        activity = turn_context.activity
        return await self.recognize_text(activity.text or "", activity.locale)


def build_result(
    text: str, scores: dict[str, float], entities: dict[str, Any], language: str
) -> RecognizerResult:
    """The one RecognizerResult shape every recognizer returns: a score per intent, the detected language."""
    return RecognizerResult(
        text=text,
        altered_text=clean(text),
        intents={name: IntentScore(score=score) for name, score in scores.items()},
        entities=entities,
        properties={LANGUAGE_PROPERTY: language},
    )


def top_intent(result: RecognizerResult) -> tuple[str, float]:
    """The best intent and its score; ``("None", 0.0)`` for an empty result."""
    if not result.intents:
        return "None", 0.0
    name, score = max(result.intents.items(), key=lambda item: item[1].score or 0.0)
    return name, float(score.score or 0.0)


def first_entity(result: RecognizerResult, key: str) -> object | None:
    """The first normalised value of an entity, or None."""
    values = (result.entities or {}).get(key) or []
    return values[0] if values else None
