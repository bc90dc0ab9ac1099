"""Has the caller finished? A verdict on the words heard at a pause, so a complete request ends sooner.

At ``early_final_ms`` of silence STT finalises speculatively (``voice/recognition.py``); the verdict on
that text sets how much silence ends the turn: a complete request ``complete_turn_silence_ms``, a phrase
stopping on a word that needs more (``my``, ``and``, ``to``, ``quiero``, ``de``...) or on a verb still
waiting for its object (``someone used``, ``necesito bloquear``) ``incomplete_turn_silence_ms``, anything
else ``end_silence_ms``. In the app (``MeaningTurnCompletion``) a phrase is complete only when the
recognizer also understands it as a request it would act on: "that sounds interesting" is a finished
sentence but not a request, and waits the usual silence.

Two more votes were measured and not taken (2026-12-01, bench.false_cuts tune set, load 3-8):
- Smart Turn v3.2 (pipecat-ai 1.14.0 wheel, 12 MB; driven through pipecat's own
  ``LocalSmartTurnAnalyzerV3`` and its segmenting, at 200 ms of silence): 78 ms to load, 160 ms a call
  (p50, load ~3). As a veto on COMPLETE it would have saved none of the five tune-set cuts (complete
  probability at the cut: "what is the balance of |" 0.84, "my card was stolen and |" 0.73-0.89, the real
  "That sounds interesting. |" 0.99) and held 8 of 8 finished requests of bench.voice_latency
  (0.02-0.46 on espeak-ng speech). livekit/eot-bench publishes 35 % false cut-offs for it at 300 ms.
- Whisper's confidence (``SttResult.confidence``): misheard fragments at the pause scored 0.62-0.73,
  finished requests 0.73-0.96 ("what is my balance." 0.73) and real people's short whole turns
  ("no, tell me more.", "good morning ...") 0.59-0.67: no threshold parts them.
"""

from __future__ import annotations

import asyncio
import logging
import re
from enum import Enum
from typing import Protocol

from core.privacy.redaction import redact
from recognizers.base import NONE_INTENT, CallerRecognizer, RecognizerUnavailable, top_intent
from recognizers.text import strip_accents

log = logging.getLogger(__name__)


class Verdict(str, Enum):
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    UNKNOWN = "unknown"


class TurnCompletion(Protocol):
    """Inject another judge through ``build_call(..., turn_completion=...)``."""

    async def verdict(self, text: str, locale: str) -> Verdict: ...


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

OBJECT_VERBS: dict[str, frozenset[str]] = {
    # Verbs a caller's request goes on after ("someone used | my card", "necesito bloquear | mi tarjeta").
    # Not the ones that often end a whole question ("how much do I owe", "I already paid").
    "en": frozenset(
        "block cancel check lose lost steal stole use used send transfer report freeze replace activate "
        "dispute withdraw find".split()
    ),
    "es": frozenset(
        "bloquear bloquea bloqueen cancelar cancela revisar revisa consultar enviar envien envie mandar "
        "manden transferir reportar congelar reemplazar activar usar usaron perdi".split()
    ),
}
OBJECT_BEFORE: dict[str, frozenset[str]] = {
    # Just before the verb, these say it has its object already: a passive ("my card was used"), an object
    # pronoun ("la perdí").
    "en": frozenset("was were is are be been being got gets".split()),
    "es": frozenset("lo la los las fue fueron".split()),
}
FRONTED_OBJECT: dict[str, frozenset[str]] = {
    # Anywhere before it, the object came first: "which card did you block", "cuál tarjeta quieres bloquear".
    "en": frozenset("what which".split()),
    "es": frozenset("cual cuales".split()),
}


def _open_verb(words: list[str], language: str) -> bool:
    """The phrase ends on a verb whose object is still to come."""
    if words[-1] not in OBJECT_VERBS.get(language, frozenset()):
        return False
    before = words[-2] if len(words) > 1 else ""
    if before in OBJECT_BEFORE.get(language, frozenset()):
        return False
    return not FRONTED_OBJECT.get(language, frozenset()) & set(words[:-1])


class LexicalTurnCompletion:
    """Complete unless the phrase is empty or ends on a word that calls for more words."""

    def __init__(self, min_words: int = 2) -> None:
        self.min_words = min_words

    async def verdict(self, text: str, locale: str) -> Verdict:
        return self.judge(text, locale)

    def judge(self, text: str, locale: str) -> Verdict:
        """The verdict, on the calling thread (a few microseconds)."""
        words = _WORD.findall(strip_accents(text.lower()))  # podría -> podria
        if not words:
            return Verdict.UNKNOWN
        language = locale[:2].lower()
        if words[-1] in TRAILING_WORDS.get(language, frozenset()):
            return Verdict.INCOMPLETE
        if _open_verb(words, language):
            return Verdict.INCOMPLETE
        if len(words) < self.min_words and not words[-1].isdigit():
            return Verdict.UNKNOWN  # "yes", "balance": a lone word may be the start of a sentence
        return Verdict.COMPLETE


class MeaningTurnCompletion:
    """The lexical verdict, with COMPLETE kept only for words the recognizer understands as a request with
    at least ``min_score`` (the app's routing threshold for acting without asking). A finished sentence
    that is no request ("that sounds interesting"), a question for the documents, digits, or a request it
    is unsure of wait the usual silence; so does a phrase the recognizer could not judge within
    ``timeout_s``. Not whisper's "?" or ".": it closes fragments with them too ("what is the balance of.
    | my savings account")."""

    def __init__(self, recognizer: CallerRecognizer, min_score: float, timeout_s: float = 0.5) -> None:
        self._recognizer = recognizer
        self._lexical = LexicalTurnCompletion()
        self.min_score = min_score
        self.timeout_s = timeout_s

    async def verdict(self, text: str, locale: str) -> Verdict:
        lexical = self._lexical.judge(text, locale)
        if lexical is not Verdict.COMPLETE:
            return lexical
        if any(c.isdigit() for c in text) or redact(text) != text:
            # A PIN or customer number said at its prompt: the bot keeps it from the recognizer (a cloud
            # one, with RECOGNIZER=clu), so this does too; digits wait the usual silence anyway.
            return Verdict.UNKNOWN
        try:
            async with asyncio.timeout(self.timeout_s):
                result = await self._recognizer.recognize_text(text, locale)
        except (RecognizerUnavailable, TimeoutError) as exc:
            log.warning("turn completion without the recognizer: %s", type(exc).__name__)
            return Verdict.UNKNOWN
        intent, score = top_intent(result)
        if intent == NONE_INTENT or score < self.min_score:
            return Verdict.UNKNOWN
        return Verdict.COMPLETE


def request_judge(
    recognizer: CallerRecognizer | None, routing_threshold: float
) -> MeaningTurnCompletion | None:
    """The app's judge (the media socket and ``bench.false_cuts`` build it here): a pause ends the turn soon
    only on a request the bot's own recognizer would act on without asking (``ROUTING__HIGH_THRESHOLD``);
    without a recognizer, None: the words alone judge (``build_call``'s default)."""
    return None if recognizer is None else MeaningTurnCompletion(recognizer, routing_threshold)
