"""What a caller's question asks: whether it leans on the previous question, the kind of fact it wants
(a rate, an amount, a time of day, a span, a time, a limit, a number) and its subject, and whether an
answer holds them (en + es).

Hand-written on purpose: a few dozen cue words per language decide these reliably and stay auditable; no
installed library tells "what is the rate" from "how do I open" in both languages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import TypeVar

from services.knowledge.text import fold, sentences, tokens

T = TypeVar("T")


class Asked(StrEnum):
    RATE = "rate"
    AMOUNT = "amount"
    CLOCK = "clock"
    DURATION = "duration"
    TIME = "time"
    LIMIT = "limit"
    NUMBER = "number"


# Cue phrases, folded (lower case, no accents); matched as whole words anywhere in the question.
_CUES: dict[Asked, tuple[str, ...]] = {
    Asked.RATE: (
        "rate", "rates", "interest", "apr", "apy", "percent", "percentage", "yield",
        "tasa", "tasas", "interes", "intereses", "porcentaje", "rendimiento", "cat",
    ),
    Asked.AMOUNT: (
        "fee", "fees", "cost", "costs", "charge", "charges", "price", "pay for",
        "comision", "comisiones", "cuesta", "cuestan", "costo", "costos", "cobran", "cobra", "cargo",
        "precio", "cuanto cuesta", "cuanto me cobran",
    ),
    Asked.CLOCK: (
        "what time", "how late", "opening hours", "business hours", "cut off time", "cutoff time",
        "a que hora", "hasta que hora", "horario", "horarios", "hora limite", "hora de corte",
    ),
    Asked.DURATION: (
        "how long", "how soon", "how many days", "how many business days", "how many weeks",
        "cuanto tarda", "cuanto tardan", "cuanto tiempo", "cuantos dias", "cuantas semanas",
    ),
    Asked.LIMIT: ("limit", "limits", "maximum", "minimum", "limite", "limites", "maximo", "minimo"),
    Asked.NUMBER: ("how many", "cuantos", "cuantas"),
}  # fmt: skip
_OPENS_WITH = {Asked.TIME: ("when", "cuando")}
"""Cues that ask for their kind only when they open the question ("when is…", not "when I travel…")."""
_HOW_MUCH = ("how much", "cuanto", "cuanta")
"""A figure, unless a sharper cue says which ("how much is the fee" asks for a price)."""
_SHARPER = {Asked.CLOCK, Asked.DURATION}
"""A plain count yields to these: "how many days until…" asks for a duration, not any number."""

# What an answer must contain to hold each kind of fact.
_HOLDS_CLOCK = re.compile(
    r"\b\d{1,2}(:\d\d)?\s*([ap]\.\s?m\.|[ap]m\b)|\b\d{1,2}:\d\d\b|\b(noon|midnight|mediodia|medianoche"
    r"|24 hours|24 horas|any time|cualquier hora)\b"
)
"""A time of day ("8 p.m.", "20:00", "noon", "24 hours a day"); "25 days after the statement" is no hour."""
_NUMBER = r"\d"
_COUNT = (
    r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten"
    r"|uno|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez)"
)
_UNIT = r"(minutes?|hours?|days?|weeks?|months?|years?|minutos?|horas?|dias?|semanas?|meses|mes|anos?)"
_SPAN = (
    rf"\b{_COUNT}(\s*(to|a|-|or|o)\s*{_COUNT})?\s+((business|calendar|working|habiles?|naturales?)\s+)?"
    rf"{_UNIT}\b(?!\s+(habiles?\s+)?(a|al|per|por|de la|each|cada)\s+(day|week|month|dia|semana|mes)\b)"
)
_DAY_SPAN = (
    r"\b(same day|next (business )?day|mismo dia|(siguiente|proximo) dia( habil)?|dia habil siguiente)\b"
)
_AT_ONCE = r"\b(immediately|instantly|right away|inmediat\w*|al instante)\b"
"""Also a span ("arrive instantly"), but an instruction too ("block it immediately"): it ranks no passage."""
_HOLDS: dict[Asked, re.Pattern[str]] = {
    Asked.RATE: re.compile(r"\d\s*%|\bpercent\b|\bpor ciento\b"),
    Asked.AMOUNT: re.compile(
        r"[$€]\s?\d|\d\s*%|\d[\d,.]*\s*(dollars?|pesos?|cents?|centavos?|dolares|usd|mxn)\b"
        r"|\b(free|no (\w+ ){0,2}(fees?|charges?|costs?)|gratis|gratuit[oa]s?"
        r"|sin (\w+ )?(costo|comision|cargo|anualidad)|no (tiene )?(costo|cobra\w*)"
        r"|no (tienen?|hay) (\w+ ){0,2}(costo|comision|cargo|anualidad))\b"
    ),
    Asked.CLOCK: _HOLDS_CLOCK,
    # A span ("in 5 to 7 business days", "de uno a tres dias habiles", "immediately"); a frequency such as
    # "24 hours a day, 7 days a week" is availability, not how long something takes.
    Asked.DURATION: re.compile(rf"{_SPAN}|{_DAY_SPAN}|{_AT_ONCE}"),
    Asked.TIME: re.compile(
        r"\d|\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekdays?|weekends?|noon|midnight"
        r"|immediately|instantly|same day|next day|business days?|hours?|minutes?|weeks?|months?"
        r"|lunes|martes|miercoles|jueves|viernes|sabados?|domingos?|mediodia|medianoche|inmediat\w*"
        r"|mismo dia|dia siguiente|dias? habiles?|horas?|minutos?|semanas?|meses?|mes)\b"
    ),
    Asked.LIMIT: re.compile(
        r"\b(limits?|maximum|minimum|up to|at least|unlimited|limites?|maximo|minimo|hasta|al menos"
        r"|ilimitad\w*)\b"
    ),
    Asked.NUMBER: re.compile(
        r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|no limit|unlimited|uno|una|dos|tres|cuatro"
        r"|cinco|seis|siete|ocho|nueve|diez|sin limite|ilimitad\w*)\b"
    ),
}

_STATED = {Asked.CLOCK: _HOLDS_CLOCK, Asked.DURATION: re.compile(f"{_SPAN}|{_DAY_SPAN}")}
"""Passages that state these as a figure are read first (see holding_first); a fee or a number is in most
passages, and "block it immediately" is an instruction, so neither ranks one passage over another."""

# Follow-ups that only make sense with the previous question ("and at a branch?", "¿y por la aplicación?").
_CONNECTIVES = (
    "and", "or", "also", "plus", "what about", "how about", "what if", "same for", "and if",
    "y", "e", "o", "tambien", "que tal", "y si", "lo mismo", "y que tal", "y en", "y por", "y para", "y con",
)  # fmt: skip
_PREPOSITIONS = frozenset(
    "at in on for by with from to via through over during en por para con desde a al sin de del durante "
    "mediante".split()
)
_INTERROGATIVES = frozenset(
    "what whats how when where why who which can could do does is are will would "
    "que como cuando donde por cual cuales cuanto cuanta cuantos cuantas quien puedo puede hay".split()
)
MAX_FRAGMENT_WORDS = 3
"""A turn this short that does not open like a question is a fragment ("the Platinum one?")."""
MAX_FOLLOW_UP_WORDS = 7
"""Longer turns say what they ask on their own, whatever they start with."""

# Words that name the bank or the generic subject of every document, and light verbs, quantifiers and
# particles ("take", "each", "another", "until"): they say nothing about what is asked.
_GENERIC = frozenset(
    word
    for word in tokens(
        "contoso bank banco banca bancaria bancario account cuenta pay paid paga pagan pagar give da dan "
        "offer ofrece ofrecen use usar using uso take takes taking work works each cada another other otro "
        "otra otros otras out per over ever again still already until after before ya desde hasta antes "
        "despues todavia aun change changing cambiar cambio update actualizar"
    )
)
_CUE_WORDS = frozenset(word for cues in _CUES.values() for cue in cues for word in tokens(cue))
_PREFIX = 5
_MIN_STEM = 3
"""Subject words match passage words on their first letters, so "cambio" meets "cambiar"."""


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9%$]+", fold(text)))


def _has(plain: str, phrase: str) -> bool:
    return f" {phrase} " in f" {plain} "


def is_follow_up(question: str) -> bool:
    """True when the question leans on the previous one: a connective or a preposition opens a short
    turn ("and at a branch?"), or it is a bare fragment that does not open like a question ("the
    Platinum one?"). "What's the weather in Seattle" is complete, however short."""
    plain = _words(question)
    words = plain.split()
    if not words or len(words) > MAX_FOLLOW_UP_WORDS:
        return False
    if len(words) <= MAX_FRAGMENT_WORDS and words[0] not in _INTERROGATIVES:
        return True
    # "a qué hora abren…", "at what time…": a preposition before a question word opens a full question.
    fragment = words[0] in _PREPOSITIONS and (len(words) < 2 or words[1] not in _INTERROGATIVES)
    return fragment or any(plain == c or plain.startswith(f"{c} ") for c in _CONNECTIVES)


_UNKNOWN_CHARGE = re.compile(
    r"\b(recogni[sz]e|unauthori[sz]ed|didn t (make|authori[sz]e)|never made|no (reconozco|reconoce|autorice)"
    r"|desconozco|yo no hice)\b"
)
"""A charge the caller does not recognise is a transaction on the account ("un cargo que no reconozco")."""
_PRICE_ONLY = ("fee", "fees", "cost", "costs", "price", "comision", "comisiones", "cuesta", "costo", "cobran")
"""Cues that only ever ask for a price, whatever else the question says."""


def asked_kinds(question: str) -> set[Asked]:
    """The kinds of fact the question asks for (empty for "how do I…" questions)."""
    plain = _words(question)
    kinds = {kind for kind, cues in _CUES.items() if any(_has(plain, cue) for cue in cues)}
    first = plain.split()[:1]
    kinds |= {kind for kind, openers in _OPENS_WITH.items() if first and first[0] in openers}
    if kinds & _SHARPER:
        kinds.discard(Asked.NUMBER)
    if _UNKNOWN_CHARGE.search(plain) and not any(_has(plain, cue) for cue in _PRICE_ONLY):
        kinds.discard(Asked.AMOUNT)  # "a charge I don't recognize" is a transaction, not a price asked for
    if not kinds and any(_has(plain, cue) for cue in _HOW_MUCH):
        kinds.add(Asked.NUMBER)
    return kinds


_PRICED = re.compile(
    r"\b(fees?|costs?|charge[sd]?|pays?|paid|price|penalty|free|comision\w*|cuesta\w*|costo\w*|cobr\w+"
    r"|cargos?|paga\w*|precio|penalizacion|gratis|gratuit\w*|anualidad)\b"
)
_NOT_PRICE = re.compile(
    r"\b(limits?|minimum|maximum|balances?|deposits?|limites?|minimo|maximo|saldos?|deposito)\b"
)
"""A figure is a price in a sentence that says so, or that says nothing else ("Up to $40."); "the deposit
limit is $5,000" and "the minimum opening deposit is $25" are no fee."""


def holds(text: str, kind: Asked) -> bool:
    folded = fold(text)
    if not _HOLDS[kind].search(folded):
        return False
    if kind is Asked.LIMIT:  # a limit word with its figure ("the limit is $5,000 per day")
        return bool(_HOLDS[Asked.NUMBER].search(folded))
    return kind is not Asked.AMOUNT or bool(_PRICED.search(folded)) or not _NOT_PRICE.search(folded)


def subject_words(question: str) -> set[str]:
    """The question's own content words, minus the kind it asks for and the bank's name."""
    return {t for t in tokens(question) if t not in _CUE_WORDS and t not in _GENERIC and not t.isdigit()}


# Adverbs and adjectives of time that name the same thing as their noun ("daily" limit, "per day").
_SAME_AS = {"daily": "day", "monthly": "month", "yearly": "year", "weekly": "week", "diario": "dia",
            "diaria": "dia", "mensual": "mes", "anual": "ano", "semanal": "semana"}  # fmt: skip


def _prefixes(words: Iterable[str]) -> set[str]:
    return {_SAME_AS.get(word, word)[:_PREFIX] for word in words}


def _missing(words: set[str], found: set[str]) -> set[str]:
    """Prefixes in ``words`` that ``found`` lacks; a short one also meets a longer one that starts with it,
    either way round ("dia" and "diario"; "close" and "clos", the stem of "closed")."""
    return {
        w
        for w in words
        if w not in found
        and not any(_MIN_STEM <= min(len(w), len(f)) < _PREFIX and _joined(w, f) for f in found)
    }


def _joined(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def mentions_subject(question: str, texts: Iterable[str]) -> bool:
    """True when the texts (an answer, its passage's title) speak of something the caller named, or the
    caller named nothing but a kind of fact: "mortgage interest rate" is not answered by a card's rate,
    nor "the weather in Seattle" by the password passage."""
    subject = _prefixes(subject_words(question))
    if not subject:
        return True
    return any(subject & _prefixes(tokens(text)) for text in texts)


def speaks_of_all(question: str, text: str) -> bool:
    """True when the text speaks of every word the question names (and the question names something)."""
    named = _prefixes(subject_words(question))
    return bool(named) and not _missing(named, _prefixes(tokens(text)))


def fact_sentences(question: str, answer: str) -> list[str]:
    """The answer's sentences that hold a kind of fact the question asks for (all of them when it asks
    for none), judged sentence by sentence: a fee is a figure in a sentence that prices something, a limit
    a figure beside a limit word ("the Platinum card has an annual fee of $95" holds no credit limit)."""
    kinds = asked_kinds(question)
    # "What time"/"how long" is what the question asks; a rate or fee word beside it names its subject
    # ("at what time is interest paid": 4.00% APY does not answer it).
    kinds = (kinds & _SHARPER) or kinds
    found = sentences(answer)
    return [s for s in found if any(holds(s, kind) for kind in kinds)] if kinds else found


def answer_holds_what_was_asked(question: str, answer: str) -> bool:
    """True when the answer holds at least one kind of fact the question asks for (or it asks for none)."""
    return bool(fact_sentences(question, answer)) or not asked_kinds(question)


def holding_first(question: str, passages: list[T], text: Callable[[T], str]) -> list[T]:
    """The passages whose text holds the kind of fact asked for, first, each group in its retrieval order:
    "how many days until the new card shows up" reads the passage with "5 to 7 business days", not the
    one ranked above it that only says to block the card. Only for a time of day or a span (_STATED)."""
    stated = [_STATED[kind] for kind in asked_kinds(question) if kind in _STATED]
    if not stated:
        return list(passages)

    def holding(passage: T) -> bool:
        folded = fold(text(passage))
        return any(pattern.search(folded) for pattern in stated)

    return sorted(passages, key=lambda passage: not holding(passage))


def names_nothing_missing(question: str, source: str, retrieved: Iterable[str]) -> bool:
    """False when the question names something the passage the answer comes from does not speak of: a
    word that exactly one other retrieved passage uses, so a thing of its own ("Premier", "SWIFT", a
    "monthly" limit where only a daily one is given), or a number the passage does not hold ("a 36-month
    CD" read from the 6, 12 and 24-month passage). Words several passages use ("week", "phone") and words
    none uses are let through: a caller's own phrasing ("abroad", "a friend") is no product the bank lacks."""
    own = _prefixes(tokens(source))
    others = [_prefixes(tokens(text)) for text in retrieved]
    for word in _missing(_prefixes(subject_words(question)), own):
        if sum(not _missing({word}, other) for other in others) == 1:
            return False
    return set(re.findall(r"\d+", question)) <= set(re.findall(r"\d+", source))
