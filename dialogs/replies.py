"""Builds voice-first replies: text plus SSML in the caller's language, with the right input hint."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from botbuilder.schema import Activity, ActivityTypes, InputHints

from dialogs.ssml import to_ssml
from locales.catalogue import Catalogue


class Replies:
    """Every message the bot says comes from here, so text, speech and voice always agree."""

    def __init__(self, catalogue: Catalogue, voices: dict[str, str]) -> None:
        self.catalogue = catalogue
        self._voices = voices

    def text(self, locale: str | None, key: str, **values: Any) -> str:
        return self.catalogue.text(locale, key, **values)

    def voice(self, locale: str) -> str:
        return self._voices.get(locale) or next(iter(self._voices.values()))

    def fixed_speech(self) -> frozenset[str]:
        """The SSML of every prompt without placeholders (no caller's data): its audio may be cached."""
        return frozenset(ssml for ssml, _ in self.fixed_prompts())

    def fixed_prompts(self, only: Collection[str] | None = None) -> list[tuple[str, str]]:
        """(SSML, locale) of every prompt without placeholders in every locale (or of the keys ``only``)."""
        return [
            (to_ssml(template, locale, self.voice(locale)), locale)
            for locale in self.catalogue.locales
            for key, template in self.catalogue.prompts(locale).items()
            if "{" not in template and (only is None or key in only)
        ]

    def message(
        self, locale: str | None, text: str, input_hint: str = InputHints.accepting_input
    ) -> Activity:
        """A message activity from already-rendered text."""
        resolved = self.catalogue.resolve_locale(locale)
        return Activity(
            type=ActivityTypes.message,
            text=text,
            speak=to_ssml(text, resolved, self.voice(resolved)),
            input_hint=input_hint,
            locale=resolved,
        )

    def say(self, locale: str | None, key: str, **values: Any) -> Activity:
        """A statement: the caller may barge in, no answer expected."""
        return self.message(locale, self.text(locale, key, **values), InputHints.accepting_input)

    def ask(self, locale: str | None, key: str, **values: Any) -> Activity:
        """A question: the bot waits for the caller's answer."""
        return self.message(locale, self.text(locale, key, **values), InputHints.expecting_input)

    def final(self, locale: str | None, key: str, **values: Any) -> Activity:
        """The last words before hang-up or transfer: no barge-in."""
        return self.message(locale, self.text(locale, key, **values), InputHints.ignoring_input)
