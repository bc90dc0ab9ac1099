"""Looks prompts up by key in one JSON catalogue per locale; dialogs hold no sentences."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from locales.languages import code_of, default_language

CATALOGUE_DIR = Path(__file__).resolve().parent


class MissingPrompt(KeyError):
    """A prompt key that the catalogue of a locale does not define."""


class Catalogue:
    """All prompts of all supported locales, loaded once at start-up."""

    def __init__(self, prompts: dict[str, dict[str, str]], default_locale: str | None = None) -> None:
        self._prompts = prompts
        self._by_language = {code_of(locale): locale for locale in prompts}
        self.default_locale = default_locale or default_language().locale

    @classmethod
    def load(cls, directory: Path | None = None, default_locale: str | None = None) -> Catalogue:
        """Every ``<locale>.json`` in ``directory`` (default: this package's folder)."""
        directory = directory or CATALOGUE_DIR
        prompts = {
            path.stem: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(directory.glob("*.json"))
        }
        return cls(prompts, default_locale)

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(self._prompts)

    def prompts(self, locale: str | None) -> dict[str, str]:
        """Every prompt template of the locale serving ``locale``, by key."""
        return dict(self._prompts[self.resolve_locale(locale)])

    def resolve_locale(self, locale: str | None) -> str:
        """The catalogue locale serving a caller locale: ``es``/``es-ES`` -> ``es-MX``."""
        if locale in self._prompts:
            return locale
        return self._by_language.get(code_of(locale), self.default_locale)

    def text(self, locale: str | None, key: str, **values: Any) -> str:
        """The prompt ``key`` in the caller's locale with ``{placeholders}`` filled in."""
        resolved = self.resolve_locale(locale)
        try:
            template = self._prompts[resolved][key]
        except KeyError as error:
            raise MissingPrompt(f"{resolved}:{key}") from error
        return template.format(**values) if values else template
