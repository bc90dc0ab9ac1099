"""Opening the project's SQLite files (conversation state, audit trail) the same way."""

from __future__ import annotations

import sqlite3
from pathlib import Path

IN_MEMORY = ":memory:"


def open_sqlite(
    db_path: str, busy_timeout_ms: int = 5000, *, relaxed_sync: bool = False
) -> sqlite3.Connection:
    """An autocommit connection (callers open ``BEGIN IMMEDIATE`` themselves) usable from worker threads:
    the parent folder is created, writers wait ``busy_timeout_ms`` for each other, and a file runs in WAL
    mode so readers never block the writer. ``relaxed_sync`` (``synchronous=NORMAL``) trades the last
    commits on a power cut for speed: right for session state, not for the audit trail."""
    if db_path != IN_MEMORY:
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    if db_path != IN_MEMORY:
        conn.execute("PRAGMA journal_mode=WAL")
        if relaxed_sync:
            conn.execute("PRAGMA synchronous=NORMAL")
    return conn
