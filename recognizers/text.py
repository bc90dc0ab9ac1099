"""Text normalisation shared by the recognizers: casefold, accent folding, filler removal."""

from __future__ import annotations

import re
import unicodedata

# Hesitations a speech recogniser transcribes; they carry no intent.
FILLERS: frozenset[str] = frozenset(
    {
        "um",
        "umm",
        "uh",
        "uhh",
        "uhm",
        "hmm",
        "hm",
        "mm",
        "mmm",
        "er",
        "erm",
        "ah",
        "eh",
        "ehh",
        "pues",
        "em",
        "ehm",
    }
)
# "este" is also a Spanish demonstrative ("este mes"): dropped only at the start or before another filler.

_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)


def strip_accents(text: str) -> str:
    """'débito' -> 'debito'; keeps ñ distinguishable only through its base letter (n)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens, punctuation dropped, apostrophes inside words kept."""
    return _TOKEN.findall(text.casefold())


def drop_fillers(words: list[str]) -> list[str]:
    """Remove hesitation words; 'este' only where it cannot be a demonstrative."""
    kept: list[str] = []
    for index, word in enumerate(words):
        if word in FILLERS:
            continue
        if word == "este":
            following = words[index + 1] if index + 1 < len(words) else ""
            if not kept or following in FILLERS or following == "" or following == "este":
                continue
        kept.append(word)
    return kept


def clean(text: str) -> str:
    """Casefolded, punctuation-free, filler-free text with accents kept (input to embeddings)."""
    return " ".join(drop_fillers(tokens(text)))


def fold(text: str) -> str:
    """``clean`` plus accent folding (input to lexical features and synonym matching)."""
    return strip_accents(clean(text))
