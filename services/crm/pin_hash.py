"""How the embedded CRM stores PINs: a salted keyed hash (HMAC-SHA256) under a secret pepper.

Why not PBKDF2 (the previous scheme, 50,000 rounds, ~25 ms of CPU per check): a 4-6 digit PIN has at
most 10^6 values, so whoever reads the table tries them all whatever the iteration count (50,000 rounds
x 10^4 PINs is minutes). What protects a leaked table is a key the table does not hold: the pepper comes
from the secrets provider (a Key Vault reference in Azure, a generated 0600 file in development), never
from the database. Guessing online stays bounded by the PIN lockout (storage/pin_lockout.py), unchanged.
Rows hashed with PBKDF2 still verify and are re-hashed under the pepper at their first right PIN.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

PEPPERED = "hmac-sha256-pepper"
"""The scheme of new hashes: HMAC-SHA256(pepper, salt || PIN)."""
LEGACY_PBKDF2 = "pbkdf2-sha256-50000"
"""The scheme of rows written before the pepper (no scheme recorded): PBKDF2-HMAC-SHA256, 50,000 rounds."""
_LEGACY_ROUNDS = 50_000
SALT_BYTES = 16


@dataclass(frozen=True)
class StoredPin:
    """What the table holds for a PIN: the scheme, the salt and the hash, never the PIN."""

    scheme: str
    salt: bytes
    digest: bytes


class PinHasher:
    """Hashes and checks PINs under one pepper (at least 16 bytes)."""

    def __init__(self, pepper: bytes) -> None:
        if len(pepper) < 16:
            raise ValueError("the PIN pepper must be at least 16 bytes")
        self._pepper = pepper

    def _digest(self, pin: str, salt: bytes) -> bytes:
        return hmac.new(self._pepper, salt + pin.encode(), hashlib.sha256).digest()

    def hash(self, pin: str) -> StoredPin:
        salt = secrets.token_bytes(SALT_BYTES)
        return StoredPin(PEPPERED, salt, self._digest(pin, salt))

    def verify(self, pin: str, stored: StoredPin) -> bool:
        """True when ``pin`` is the stored one (constant-time comparison of the hashes)."""
        if stored.scheme == PEPPERED:
            expected = self._digest(pin, stored.salt)
        elif stored.scheme == LEGACY_PBKDF2:
            expected = hashlib.pbkdf2_hmac("sha256", pin.encode(), stored.salt, _LEGACY_ROUNDS)
        else:  # an unknown scheme never verifies
            return False
        return hmac.compare_digest(expected, stored.digest)

    @staticmethod
    def needs_rehash(stored: StoredPin) -> bool:
        return stored.scheme != PEPPERED
