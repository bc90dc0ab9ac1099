"""The summary port: turns a handoff record into a short natural summary in the agent's language."""

from __future__ import annotations

from typing import Protocol

from services.handoff.models import HandoffRecord


class SummaryError(Exception):
    """Base class for summary failures."""


class SummaryUnavailable(SummaryError):
    """The summary backend failed, timed out or answered something unusable."""


class Summarizer(Protocol):
    async def summarize(self, record: HandoffRecord, language: str) -> str:
        """Two or three sentences for the agent, in ``language`` (a locale or a language code)."""
        ...

    async def translate_transcript(self, record: HandoffRecord, language: str) -> list[str]:
        """Each transcript line in ``language`` (same order and count), or [] when this backend cannot
        translate free text (the embedded one: no translation model runs offline)."""
        ...
