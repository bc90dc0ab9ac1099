"""Caller language detection limited to English and Spanish, biased by the channel's locale hint."""

from __future__ import annotations

import threading

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from recognizers.text import clean, strip_accents

LANGUAGES: tuple[str, ...] = ("en", "es")

# Short phone answers carry too little text for a character model; these words settle them.
_SPANISH_CUES = frozenset(
    "si no gracias adios hola que cual cuanto como quiero mi mis tarjeta cuenta saldo ayuda ya bueno "
    "mande oiga perdon repita otra vez agente asesor persona cancelar olvidalo".split()
)
_ENGLISH_CUES = frozenset(
    "yes yeah no thanks bye hello what which how want my card account balance help ok okay please "
    "agent person cancel repeat again stop the".split()
)
_AMBIGUOUS = frozenset({"no", "ok", "bye", "menu", "agente"})

_identifier: LanguageIdentifier | None = None
_lock = threading.Lock()


def _model() -> LanguageIdentifier:
    global _identifier
    with _lock:
        if _identifier is None:
            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages(list(LANGUAGES))
            _identifier = identifier
        return _identifier


def hint_language(locale_hint: str | None) -> str | None:
    """``es-MX`` -> ``es``; None for anything that is not English or Spanish."""
    if not locale_hint:
        return None
    short = locale_hint.split("-")[0].lower()
    return short if short in LANGUAGES else None


def detect_language(text: str, locale_hint: str | None = None, min_confidence: float = 0.9) -> str:
    """``"en"`` or ``"es"``. The hint wins when the text is short, ambiguous or the model is unsure."""
    hinted = hint_language(locale_hint)
    words = strip_accents(clean(text)).split()
    meaningful = [w for w in words if w not in _AMBIGUOUS]
    if not meaningful:
        return hinted or "en"
    if len(meaningful) <= 2:
        es = sum(w in _SPANISH_CUES for w in meaningful)
        en = sum(w in _ENGLISH_CUES for w in meaningful)
        if es != en:
            return "es" if es > en else "en"
    language, confidence = _model().classify(" ".join(words))
    if hinted and confidence < min_confidence:
        return hinted
    return str(language)


# What callers call each language when they ask for it ("in Spanish, please", "en inglés, por favor").
LANGUAGE_NAMES: dict[str, frozenset[str]] = {
    "en": frozenset({"english", "ingles"}),
    "es": frozenset({"spanish", "espanol", "castellano"}),
}
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
    named = [language for language, names in LANGUAGE_NAMES.items() if names & set(words)]
    if len(named) != 1:
        return None
    # Only a request made of asking words: "a Spanish bank transfer" names a language, it asks for none.
    rest = set(words) - LANGUAGE_NAMES[named[0]] - _ASKING_WORDS
    return named[0] if not rest else None


def language_to_follow(text: str, detected: str, current: str) -> str | None:
    """The caller's language when this turn says enough in another one to switch to it, else None.

    ``detected`` comes from ``detect_language`` with the call's language as the hint, so an unsure
    model already keeps ``current``; a single "ok", a name or a string of digits never switches.
    """
    if detected == current or detected not in LANGUAGES:
        return None
    words = [w for w in strip_accents(clean(text)).split() if w.isalpha() and w not in _AMBIGUOUS]
    return detected if len(words) >= MIN_WORDS_TO_FOLLOW else None
