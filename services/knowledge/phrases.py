"""The few fixed sentences the knowledge service returns itself, from the locale catalogues."""

from __future__ import annotations

from functools import lru_cache

from locales.catalogue import Catalogue

NOT_FOUND = "knowledge.not_found"
BLOCKED = "knowledge.blocked"


@lru_cache(maxsize=1)
def _catalogue() -> Catalogue:
    return Catalogue.load()


def phrase(key: str, lang: str) -> str:
    """The sentence ``key`` in ``lang`` (``en``/``es`` or a locale such as ``es-MX``)."""
    return _catalogue().text(lang, key)
