"""Short spoken answers: yes/no, PIN digits and customer numbers, as callers say or key them.

Hand-written on purpose: Recognizers-Text's Python boolean model misses Spanish "sí", and its
number model reads "4 5 6 7" as four numbers, so a PIN needs digit-by-digit reading.
"""

from __future__ import annotations

import re
import unicodedata

_DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "too": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "cero": "0",
    "uno": "1",
    "un": "1",
    "dos": "2",
    "tres": "3",
    "cuatro": "4",
    "cinco": "5",
    "seis": "6",
    "siete": "7",
    "ocho": "8",
    "nueve": "9",
}
_YES = (
    "yes",
    "yeah",
    "yep",
    "yup",
    "sure",
    "correct",
    "right",
    "ok",
    "okay",
    "please do",
    "go ahead",
    "absolutely",
    "affirmative",
    "do it",
    "si",
    "claro",
    "correcto",
    "de acuerdo",
    "adelante",
    "vale",
    "dale",
    "afirmativo",
    "esta bien",
    "por supuesto",
    "andale",
)
_NO = ("no", "nope", "nah", "don't", "do not", "dont", "negative", "not now", "nel", "negativo", "mejor no")


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^\w\s']", " ", stripped)


def _has_phrase(text: str, phrases: tuple[str, ...]) -> bool:
    return any(re.search(rf"(?<!\w){re.escape(p)}(?!\w)", text) for p in phrases)


def yes_or_no(text: str) -> bool | None:
    """True for yes, False for no, None when the answer is neither (a negation wins)."""
    plain = _plain(text)
    if _has_phrase(plain, _NO):
        return False
    if _has_phrase(plain, _YES):
        return True
    return None


def spoken_digits(text: str) -> str:
    """All digits in order, from numerals and digit words in English and Spanish."""
    digits: list[str] = []
    for token in _plain(text).split():
        if token.isdigit():
            digits.append(token)
        elif token in _DIGIT_WORDS:
            digits.append(_DIGIT_WORDS[token])
    return "".join(digits)


# Words a caller may wrap a PIN in ("my PIN is 1 2 3 4", "es el cuatro tres dos uno"); any other word
# means the answer is something else (a request, a question) and is not read as a PIN.
_PIN_FILLER = frozenset(
    "my pin is it it's its the number code um uh er eh ok okay yes sure "
    "mi nip es el numero codigo si este pues ah".split()
)


def pin_from(text: str, length: int = 4) -> str | None:
    """The PIN when the answer is exactly ``length`` digits (said or keyed) and nothing else, else None.

    "quiero hablar con una persona" holds a digit word ("una") but is a request, not a PIN."""
    tokens = _plain(text).split()
    if any(not (t.isdigit() or t in _DIGIT_WORDS or t in _PIN_FILLER) for t in tokens):
        return None
    digits = spoken_digits(text)
    return digits if len(digits) == length else None


def is_pin_answer(text: str) -> bool:
    """True when the words are a PIN (journaled as ``[PIN]``, no entity kept from them)."""
    return pin_from(text) is not None


def customer_number_from(text: str) -> str | None:
    """Customer numbers look like C1001: accepts "C 1 0 0 1", "see one zero zero one", "1001"."""
    plain = _plain(text)
    digits = spoken_digits(re.sub(r"(?<!\w)(c|see|sea|ce|se)(?!\w)", " ", plain))
    return f"C{digits}" if len(digits) == 4 else None
