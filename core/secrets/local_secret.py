"""A secret generated once into a file only this user may read (0600), for the offline default."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

SECRET_BYTES = 32


def local_secret(path: Path) -> bytes:
    """The secret in ``path``, created with 32 random bytes (hex) on first use, mode 0600 in a 0700
    folder. Processes starting together agree: the file is created exclusively and the loser reads it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(secrets.token_hex(SECRET_BYTES))
    return _read(path)


def _read(path: Path) -> bytes:
    value = path.read_text(encoding="ascii").strip()
    if not value:  # the creator has not written it yet, or it was emptied: never use an empty key
        raise RuntimeError(f"the secret file {path} is empty")
    return value.encode("ascii")
