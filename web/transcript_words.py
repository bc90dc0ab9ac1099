"""The handoff transcript in the agent's language, honestly labelled: a model's translation when the
summary backend has one (Azure OpenAI), the bot's own lines re-worded from its catalogue (exact: the bot
said a catalogue sentence), and otherwise the caller's words with what the bot understood from them."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from locales.catalogue import Catalogue
from locales.languages import code_of
from services.handoff.models import HandoffRecord, TurnView

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
MIN_LITERAL_CHARS = 8


@lru_cache(maxsize=1)
def _catalogue() -> Catalogue:
    return Catalogue.load()


@lru_cache(maxsize=4)
def _sentences(locale: str) -> tuple[list[tuple[str, re.Pattern[str]]], dict[str, str]]:
    """Per catalogue key of ``locale``: a pattern matching its sentence with any values filled in; and
    the fixed sentences by their text (a value such as "bloquear una tarjeta" is one of them)."""
    catalogue = _catalogue()
    prompts = catalogue.prompts(locale)
    patterns: list[tuple[int, str, re.Pattern[str]]] = []
    for key, template in prompts.items():
        pieces = _PLACEHOLDER.split(template)
        literal = sum(len(piece) for piece in pieces[::2])
        # A name used twice cannot be a group twice; a sentence that is mostly values says too little.
        if len(set(pieces[1::2])) < len(pieces[1::2]) or literal < MIN_LITERAL_CHARS:
            continue
        regex = "".join(f"(?P<{piece}>.+?)" if i % 2 else re.escape(piece) for i, piece in enumerate(pieces))
        patterns.append((literal, key, re.compile(regex, re.DOTALL)))
    patterns.sort(key=lambda entry: -entry[0])  # the most specific sentence first
    fixed = {template: key for key, template in prompts.items() if "{" not in template}
    return [(key, pattern) for _, key, pattern in patterns], fixed


def bot_line(text: str, call_locale: str, language: str) -> str | None:
    """A bot line of the call re-worded in ``language`` from the same catalogue keys, or None."""
    catalogue = _catalogue()
    source = catalogue.resolve_locale(call_locale)
    patterns, fixed = _sentences(source)
    for key, pattern in patterns:
        found = pattern.fullmatch(text.strip())
        if found is None:
            continue
        values = {
            name: catalogue.text(language, fixed[value]) if value in fixed else value
            for name, value in found.groupdict().items()
        }
        return catalogue.text(language, key, **values)
    return None


def _word(language: str, key: str, /, **values: Any) -> str:
    return _catalogue().text(language, key, **values)


def transcript_view(record: HandoffRecord, language: str, wanted: dict[str, str]) -> list[dict[str, str]]:
    """Each line: who said it, the words to read (in ``language`` when the call was in another one) and,
    then, the original words. ``wanted`` maps an utterance to what the bot understood from it."""
    other = code_of(record.language) != code_of(language)
    call_language = _word(language, f"console.language.{code_of(record.language)}")
    lines: list[dict[str, str]] = []
    for turn in record.transcript:
        line = {
            "speaker": _word(language, f"console.speaker.{turn.speaker}"),
            "text": turn.text,
            "original": "",
        }
        if other:
            shown, note = _translated(turn, record.language, language, wanted)
            line["text"] = f"{shown} ({note})" if note else shown
            if shown != turn.text:  # the caller's (or bot's) own words stay available
                line["original"] = _word(
                    language, "console.transcript.original", language=call_language, text=turn.text
                )
        lines.append(line)
    return lines


def _translated(turn: TurnView, call_locale: str, language: str, wanted: dict[str, str]) -> tuple[str, str]:
    """(text to show, note): the model's translation, the catalogue's wording, or a labelled gloss."""
    if turn.translation:
        return turn.translation, ""
    if turn.speaker == "bot":
        worded = bot_line(turn.text, call_locale, language)
        if worded is not None:
            return worded, ""
    understood = wanted.get(turn.text)
    if understood:
        return turn.text, _word(language, "console.transcript.understood", wanted=understood)
    return turn.text, _word(language, "console.transcript.untranslated")
