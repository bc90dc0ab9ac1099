"""The embedded CRM's demo callers as the dialog tests dial them, and how their replies are read."""

from __future__ import annotations

CARLOS, CARLOS_PIN = "+14255550100", "1234"  # English preference
MARIA, MARIA_PIN = "+5215555550101", "4321"  # Spanish preference


def joined(replies: list[str]) -> str:
    """The bot's replies of one turn as one string, for `in` checks."""
    return " ".join(replies)
