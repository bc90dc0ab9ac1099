"""Caller language detection among the languages of locales/languages.py, biased by the channel's hint."""

from __future__ import annotations

import threading

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from locales import languages
from recognizers.text import clean, strip_accents

_AMBIGUOUS = frozenset({"no", "ok", "bye", "menu", "agente"})

_identifier: tuple[tuple[str, ...], LanguageIdentifier] | None = None
_lock = threading.Lock()


def _model() -> LanguageIdentifier:
    """py3langid limited to the table's languages (rebuilt if the table changes, as in tests)."""
    global _identifier
    with _lock:
        codes = languages.codes()
        if _identifier is None or _identifier[0] != codes:
            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages(list(codes))
            _identifier = (codes, identifier)
        return _identifier[1]


def load_model() -> None:
    """Load the character model now (start-up, off the event loop): its first use reads and unpacks it,
    ~1 s of CPU, which on the event loop stalled every call in progress (4 s with 13 callers on 2 cores)."""
    _model()


def hint_language(locale_hint: str | None) -> str | None:
    """``es-MX`` -> ``es``; None for anything that is not one of the bot's languages."""
    found = languages.find(locale_hint) if locale_hint else None
    return found.code if found else None


def _by_cue_words(words: list[str]) -> str | None:
    """Short phone answers carry too little text for a character model: the one language whose cue
    words they hold most settles them; a tie settles nothing."""
    counts = {language.code: sum(w in language.cue_words for w in words) for language in languages.LANGUAGES}
    most = max(counts.values())
    leaders = [code for code, count in counts.items() if count == most]
    return leaders[0] if len(leaders) == 1 else None


def detect_language(text: str, locale_hint: str | None = None, min_confidence: float = 0.9) -> str:
    """A code of locales/languages.py; the hint wins when the text is short, ambiguous or the model unsure."""
    hinted = hint_language(locale_hint)
    words = strip_accents(clean(text)).split()
    meaningful = [w for w in words if w not in _AMBIGUOUS]
    if not meaningful:
        return hinted or languages.default_language().code
    if len(meaningful) <= 2 and (cued := _by_cue_words(meaningful)) is not None:
        return cued
    language, confidence = _model().classify(" ".join(words))
    if hinted and confidence < min_confidence:
        return hinted
    return str(language)


_ASKING_WORDS = frozenset(
    "in please speak speaks talk continue switch change to the a can could would we you i me someone "
    "anyone somebody who is there do does this it lets let's us go ok okay yes prefer want like language "
    "en por favor habla hablar hablas hable hableme hablame hablemos hablen seguir sigamos seguimos cambiar "
    "cambia cambie alguien que quien puede puedes podemos podria me nos atender atienda atenderme "
    "atiendan idioma el la prefiero quiero si ok oiga mejor".split()
)
_NEGATIONS = frozenset({"no", "not", "don't", "dont", "doesn't", "can't", "cannot", "nunca"})
MAX_REQUEST_WORDS = 8
"""Longer turns that name a language are about something else ("my Spanish bank account was…")."""
MIN_WORDS_TO_FOLLOW = 3
"""Words (not digits, not "ok"/"no") a turn needs before its language replaces the call's."""


def requested_language(text: str) -> str | None:
    """The language the caller explicitly asks for ("in Spanish, please", "¿habla inglés?"), else None.

    A negated mention ("I don't speak Spanish", "no hablo inglés") is no request: the language the
    caller speaks it in decides (see ``language_to_follow``).
    """
    words = strip_accents(clean(text)).split()
    if not words or len(words) > MAX_REQUEST_WORDS or _NEGATIONS & set(words):
        return None
    named = [language for language in languages.LANGUAGES if language.called & set(words)]
    if len(named) != 1:
        return None
    # Only a request made of asking words: "a Spanish bank transfer" names a language, it asks for none.
    rest = set(words) - named[0].called - _ASKING_WORDS
    return named[0].code if not rest else None


def language_to_follow(text: str, detected: str, current: str) -> str | None:
    """The caller's language when this turn says enough in another one to switch to it, else None.

    ``detected`` comes from ``detect_language`` with the call's language as the hint, so an unsure
    model already keeps ``current``; a single "ok", a name or a string of digits never switches.
    """
    if detected == current or detected not in languages.codes():
        return None
    words = [w for w in strip_accents(clean(text)).split() if w.isalpha() and w not in _AMBIGUOUS]
    return detected if len(words) >= MIN_WORDS_TO_FOLLOW else None
