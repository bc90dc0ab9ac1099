"""The one table of the bot's languages: codes, locale, voices, speech engine, culture. Every module reads it.

To add a language: one ``Language`` entry here, its catalogue ``locales/<locale>.json``, and its
utterances (``"language": <clu_language>``) in cognitiveModels/banking.clu.json (README "Add a language").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

SttEngine = Literal["pocketsphinx", "whisper"]
"""Embedded speech-to-text: pocketsphinx streams with a domain LM (English models only); whisper decodes
after the endpoint in any of its languages."""


def _english_ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


@dataclass(frozen=True)
class SpokenCulture:
    """How amounts and dates are said (locales/formatting.py fills these in)."""

    months: tuple[str, ...]
    weekdays: tuple[str, ...]
    """Monday first, as said of a recent day ("Monday", "el lunes")."""
    currency_words: dict[str, tuple[str, str, str, str]]
    """ISO currency -> (one, many, one cent, many cents)."""
    cents_joiner: str
    date: str
    """``{month}``, ``{day}`` and ``{nth}`` (the day as an ordinal): "December 15th", "15 de diciembre"."""
    past_date: str = "{date}"
    """A date more than a week ago, as said in a sentence ("el 15 de diciembre")."""
    ordinal: Callable[[int], str] = str


@dataclass(frozen=True)
class Language:
    code: str
    """ISO 639-1, as recognizers report it and prompts to language models are keyed: ``en``."""
    locale: str
    """The catalogue ``locales/<locale>.json``, SSML ``xml:lang`` and the channel's locale: ``en-US``."""
    name: str
    """In English, for instructions to a language model: "Spanish (Mexico)"."""
    azure_voice: str
    """Azure neural voice (overridable per deployment: ``VOICE_EN``/``VOICE_ES`` in config.py)."""
    espeak_voice: str
    """espeak-ng voice of the embedded text-to-speech."""
    stt_engine: SttEngine
    clu_language: str
    """CLU's language code for utterances and requests (CLU's language list): ``en-us``, ``es``."""
    culture: str
    """Recognizers-Text culture for numbers, amounts and dates (it has no es-MX: es-ES covers it)."""
    spoken: SpokenCulture
    called: frozenset[str]
    """What callers call it when they ask for it ("in Spanish, please"), accent-folded, any language."""
    cue_words: frozenset[str]
    """Accent-folded words that settle the language of a one- or two-word answer ("gracias", "yeah")."""


LANGUAGES: tuple[Language, ...] = (
    Language(
        code="en",
        locale="en-US",
        name="English",
        azure_voice="en-US-JennyNeural",
        espeak_voice="en-us",
        stt_engine="pocketsphinx",
        clu_language="en-us",
        culture="en-us",
        spoken=SpokenCulture(
            months=(
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ),
            weekdays=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
            currency_words={
                "USD": ("dollar", "dollars", "cent", "cents"),
                "MXN": ("peso", "pesos", "cent", "cents"),
            },
            cents_joiner="and",
            date="{month} {nth}",
            ordinal=_english_ordinal,
        ),
        called=frozenset({"english", "ingles"}),
        cue_words=frozenset(
            (
                "yes yeah no thanks bye hello what which how want my card account balance help ok "
                "okay please agent person cancel repeat again stop the"
            ).split()
        ),
    ),
    Language(
        code="es",
        locale="es-MX",
        name="Spanish (Mexico)",
        azure_voice="es-MX-DaliaNeural",
        espeak_voice="es-419",
        stt_engine="whisper",
        clu_language="es",
        culture="es-es",
        spoken=SpokenCulture(
            months=(
                "enero",
                "febrero",
                "marzo",
                "abril",
                "mayo",
                "junio",
                "julio",
                "agosto",
                "septiembre",
                "octubre",
                "noviembre",
                "diciembre",
            ),
            weekdays=(
                "el lunes",
                "el martes",
                "el miércoles",
                "el jueves",
                "el viernes",
                "el sábado",
                "el domingo",
            ),
            currency_words={
                "USD": ("dólar", "dólares", "centavo", "centavos"),
                "MXN": ("peso", "pesos", "centavo", "centavos"),
            },
            cents_joiner="con",
            date="{day} de {month}",
            past_date="el {date}",
        ),
        called=frozenset({"spanish", "espanol", "castellano"}),
        cue_words=frozenset(
            (
                "si no gracias adios hola que cual cuanto como quiero mi mis tarjeta cuenta saldo ayuda "
                "ya bueno mande oiga perdon repita otra vez agente asesor persona cancelar olvidalo"
            ).split()
        ),
    ),
)
"""The first is the default: callers whose language is unknown, and agents unless configured."""

# The functions below read LANGUAGES when called, so the table is the only copy (nothing derived at import).


def default_language() -> Language:
    return LANGUAGES[0]


def default_locale() -> str:
    return LANGUAGES[0].locale


def codes() -> tuple[str, ...]:
    """``("en", "es")``."""
    return tuple(language.code for language in LANGUAGES)


def locales() -> tuple[str, ...]:
    """``("en-US", "es-MX")``."""
    return tuple(language.locale for language in LANGUAGES)


def find(code_or_locale: str | None) -> Language | None:
    """The language of ``es``, ``es-MX`` or ``es-ES`` (same primary subtag); None for any other."""
    wanted = (code_or_locale or "").strip().lower().replace("_", "-")
    primary = wanted.split("-")[0]
    return next((language for language in LANGUAGES if language.locale.lower() == wanted), None) or next(
        (language for language in LANGUAGES if language.code == primary), None
    )


def language_for(code_or_locale: str | None) -> Language:
    """Like ``find``, with the default language for anything unknown."""
    return find(code_or_locale) or default_language()


def code_of(code_or_locale: str | None) -> str:
    """``es-MX`` -> ``es``; the default language's code for anything unknown."""
    return language_for(code_or_locale).code


def locale_of(code_or_locale: str | None) -> str:
    """``es`` -> ``es-MX``; the default locale for anything unknown."""
    return language_for(code_or_locale).locale
