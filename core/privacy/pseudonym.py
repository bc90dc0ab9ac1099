"""Keyed pseudonyms for a caller's phone number: what per-caller limits count by, never the number.

An unkeyed hash of a phone number is no protection (every number can be tried in minutes), so the name
is an HMAC under ``PIN_LOCKOUT__SUBJECT_KEY`` (a Key Vault secret in Azure): equal numbers give equal
names within a deployment, and stored state or logs holding a name do not give the number back.
"""

from __future__ import annotations

import hashlib
import hmac

DEVELOPMENT_KEY = b"contoso-voicebot/caller-pseudonym"
"""Used when no key is configured (the embedded default only: production refuses to start without one)."""


def keyed_digest(key: bytes, label: str) -> str:
    """HMAC-SHA256 of ``label`` under ``key``, in hex: the one way stored names of personal values are made
    (caller pseudonyms here, PIN-lockout counters in storage/pin_lockout.py)."""
    return hmac.new(key, label.encode(), hashlib.sha256).hexdigest()


class CallerPseudonyms:
    """Turns a normalised (E.164) phone number into a stable, keyed, irreversible name."""

    def __init__(self, key: bytes = b"") -> None:
        self._key = key or DEVELOPMENT_KEY

    def of(self, phone: str) -> str:
        """``caller-`` and 20 hex digits of HMAC-SHA256; empty for an unknown number."""
        if not phone:
            return ""
        return f"caller-{keyed_digest(self._key, f'caller:{phone.strip()}')[:20]}"
