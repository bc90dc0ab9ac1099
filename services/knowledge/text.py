"""Language-aware text helpers shared by the index and the extractive generator (en + es)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from locales import languages

_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<![ap]\.m\.)\s+(?=[A-ZÁÉÍÓÚÑ¿¡0-9$])")

STOPWORDS = frozenset(
    """
    a an and are as at be been but by can could do does did for from had has have how i if in into is it
    its me my no not of on or our so than that the their them then there these they this to us was we were
    what when where which who why will with would you your yours am any about also just please tell know
    want need like get got let hi hello okay ok much many does do don t s ll ve re d m
    el la los las un una unos unas y o u de del al a en por para con sin sobre que qué como cómo cuando cuándo
    donde dónde cual cuál cuales cuáles cuanto cuánto cuanta cuánta cuantos cuántos es son ser está están
    estoy hay mi mis me su sus se le les lo yo tu tú usted ustedes nos nosotros quiero quisiera puedo
    puede saber si sí no muy más mas este esta esto ese esa eso por favor hola bueno pues tengo tiene
    """.split()
)


def _accent_table() -> dict[int, str]:
    table = {}
    for code in range(0xC0, 0x250):
        base = "".join(c for c in unicodedata.normalize("NFKD", chr(code)) if not unicodedata.combining(c))
        if base != chr(code) and base.isascii():
            table[code] = base.lower()
    return table


_ACCENTS = _accent_table()


def fold(text: str) -> str:
    """Lower-case and strip accents so "límite" matches "limite" (a table lookup: it runs a lot)."""
    lowered = text.lower()
    return lowered if lowered.isascii() else lowered.translate(_ACCENTS)


@lru_cache(maxsize=50_000)
def stem(token: str) -> str:
    """A deliberately light suffix stripper that works for English and Spanish plurals and verb endings."""
    if token.isdigit() or len(token) <= 3:
        return token
    for suffix in ("iones", "ciones", "mente", "ing", "es", "ed", "s"):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            return token[: -len(suffix)]
    return token


_FOLDED_STOPWORDS = frozenset(fold(w) for w in STOPWORDS)


def tokens(text: str) -> list[str]:
    """Keyword tokens: folded, stop words removed, lightly stemmed; amounts like 2.50 kept whole."""
    return [stem(t) for t in _WORD.findall(fold(text)) if t not in _FOLDED_STOPWORDS]


def sentences(text: str) -> list[str]:
    """Split a passage into sentences (good enough for the bank's own prose)."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def lang_of_locale(locale: str | None) -> str | None:
    """ "es-MX" -> "es", "en-US" -> "en"; None for anything not in locales/languages.py."""
    found = languages.find(locale) if locale else None
    return found.code if found else None


def detect_lang(text: str) -> str:
    """One of the bot's languages (locales/languages.py), decided by py3langid limited to them."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    global _IDENTIFIER
    codes = languages.codes()
    if _IDENTIFIER is None or _IDENTIFIER[0] != codes:
        identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
        identifier.set_languages(list(codes))
        _IDENTIFIER = (codes, identifier)
    lang, _ = _IDENTIFIER[1].classify(text)
    return str(lang)


_IDENTIFIER: Any = None
