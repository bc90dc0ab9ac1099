"""Recognised entities made safe to keep: the same redaction as transcripts, and no digits that could
be a PIN, a card or an account number in any form (``"1234"``, ``"4.53201512345679E+15"``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from core.privacy.redaction import redact

NUMBER_KEY = "number"
AMOUNT_KEY = "amount"
DATETIME_KEY = "datetime"
DIGIT_DERIVED = (NUMBER_KEY, DATETIME_KEY)
"""Entities a number model reads out of digits: fragments of whatever the utterance's digits were."""
MAX_COUNT_DIGITS = 3
"""A number detail is a count or a choice ("the last 5"); four digits or more may be a PIN or part of
a card or account number, so it is never kept."""
MAX_AMOUNT = Decimal(10) ** 7

_PLAIN_INTEGER = re.compile(rf"\d{{1,{MAX_COUNT_DIGITS}}}")
# Words that speech recognisers and number models read as 1 but that callers use as articles or
# pronouns: "quiero hablar con una persona", "I need a new one".
_ARTICLE_ONE = re.compile(r"\b(?:un|una|one)\b", re.IGNORECASE)
_NUMBER_WORD = re.compile(
    r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"cero|un|una|uno|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce)",
    re.IGNORECASE,
)
_SAID_ONE = re.compile(r"(?<![\d.,])1(?![\d.,])|\buno\b", re.IGNORECASE)


def _safe_number(value: Any, text: str) -> bool:
    number = str(value).strip()
    if not _PLAIN_INTEGER.fullmatch(number):
        return False  # PIN-length, card-length, scientific or decimal forms
    if number == "1" and _ARTICLE_ONE.search(text) and not _SAID_ONE.search(text):
        return False  # "una"/"one" in running speech is not a number detail
    return True


def _safe_moment(value: Any) -> bool:
    """A date or time, unless it is one number word read as an hour ("una" -> 1 pm, "tres" -> 3 pm)."""
    if not isinstance(value, Mapping):
        return False
    words = str(value.get("text") or "").split()
    return not (len(words) == 1 and (words[0].isdigit() or _NUMBER_WORD.fullmatch(words[0])))


def _safe_amount(value: Any) -> bool:
    if not isinstance(value, Mapping):
        return False
    try:
        amount = Decimal(str(value.get("value")))
    except (InvalidOperation, TypeError):
        return False
    return amount.is_finite() and abs(amount) < MAX_AMOUNT and "E" not in str(value.get("value")).upper()


def _redacted(value: Any) -> Any | None:
    """The value with free text redacted; None when redaction found personal data in it."""
    if isinstance(value, str):
        return value if redact(value) == value else None
    if isinstance(value, Mapping):
        clean = {k: _redacted(v) for k, v in value.items()}
        return None if any(v is None for v in clean.values()) else clean
    if isinstance(value, list | tuple):
        items = [_redacted(v) for v in value]
        return None if any(v is None for v in items) else items
    return value


def safe_entities(entities: Mapping[str, Any] | None, text: str) -> dict[str, Any]:
    """The entities worth keeping from an utterance ``text``: anything carrying personal data dropped."""
    # Digits that redaction hides (a card, a PIN, an account or phone number) leave no fragment behind.
    digits_hidden = redact(text) != text
    kept: dict[str, Any] = {}
    for key, values in (entities or {}).items():
        if not isinstance(values, list) or (digits_hidden and key in DIGIT_DERIVED):
            continue
        if key == NUMBER_KEY:
            safe = [v for v in values if _safe_number(v, text)]
        elif key == AMOUNT_KEY:
            safe = [v for v in values if _safe_amount(v)]
        elif key == DATETIME_KEY:
            safe = [v for v in values if _safe_moment(v) and _redacted(v) is not None]
        else:
            safe = [v for v in values if _redacted(v) is not None]
        if safe:
            kept[key] = safe
    return kept
