"""Has the caller finished? A verdict on the words heard at a pause, so a complete request ends sooner.

At ``early_final_ms`` of silence STT finalises speculatively (``voice/recognition.py``); the verdict on
that text sets how much silence ends the turn: a complete phrase ``complete_turn_silence_ms``, a phrase
stopping on a word that needs more (``my``, ``and``, ``to``, ``quiero``, ``de``...)
``incomplete_turn_silence_ms``, no text ``end_silence_ms``. Chosen over the Smart Turn v3.2 audio model
in the pipecat wheel: the words are already decoded at no extra cost, and livekit/eot-bench publishes
35 % false cut-offs for that model at 300 ms of silence (shared/EMBEDDED.md).
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Protocol

from recognizers.text import strip_accents


class Verdict(str, Enum):
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    UNKNOWN = "unknown"


class TurnCompletion(Protocol):
    """Inject another judge through ``build_call(..., turn_completion=...)``."""

    def verdict(self, text: str, locale: str) -> Verdict: ...


_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)

TRAILING_WORDS: dict[str, frozenset[str]] = {
    # Articles, possessives, prepositions, conjunctions, fillers, verbs that need an object, and verbs
    # that introduce a question still to come ("quiero saber | cuándo vence mi pago").
    "en": frozenset(
        "a an the my your our his her their this that these those some any of to for from in on at with "
        "about by into and or but so because if when then than um uh er hmm like is are was be i "
        "want wanna need would like could can should me also just know wonder wondering ask asking".split()
    ),
    "es": frozenset(
        "un una unos unas el la los las lo mi mis tu tus su sus nuestro nuestra este esta ese esa de del "
        "a al en con por para sobre y o e u pero que porque si cuando como eh este em pues es son "
        "quiero quisiera necesito puedo podria me se le les ya tambien saber preguntar averiguar".split()
    ),
}


class LexicalTurnCompletion:
    """Complete unless the phrase is empty or ends on a word that calls for more words."""

    def __init__(self, min_words: int = 2) -> None:
        self.min_words = min_words

    def verdict(self, text: str, locale: str) -> Verdict:
        words = _WORD.findall(strip_accents(text.lower()))  # podría -> podria
        if not words:
            return Verdict.UNKNOWN
        trailing = TRAILING_WORDS.get(locale[:2].lower(), frozenset())
        if words[-1] in trailing:
            return Verdict.INCOMPLETE
        if len(words) < self.min_words and not words[-1].isdigit():
            return Verdict.UNKNOWN  # "yes", "balance": a lone word may be the start of a sentence
        return Verdict.COMPLETE
