"""botbuilder Storage on a local SQLite file: the embedded default, survives a restart."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from botbuilder.core import Storage

from storage.items import StorageConflictError, decode, encode, expected_etag, new_etag, set_item_etag
from storage.sqlite_connection import open_sqlite

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS bot_state (
    key TEXT PRIMARY KEY, etag TEXT NOT NULL, doc TEXT NOT NULL, updated_at REAL NOT NULL);
"""


class SqliteStorage(Storage):
    """State items as JSON rows keyed by storage key, each with an e_tag renewed on every write.

    Writes check the e_tag and replace the row inside one ``BEGIN IMMEDIATE`` transaction, so two
    processes sharing the file cannot both win. sqlite3 runs in a worker thread (tiny load).
    """

    def __init__(self, db_path: Path | str, busy_timeout_ms: int = 5000) -> None:
        self._db_path = str(db_path)
        self._busy_timeout_ms = busy_timeout_ms
        self._lock = asyncio.Lock()
        self._conn: sqlite3.Connection | None = None

    def _open(self) -> sqlite3.Connection:
        conn = open_sqlite(self._db_path, self._busy_timeout_ms, relaxed_sync=True)
        conn.executescript(_SCHEMA)
        return conn

    async def _run(self, func: Callable[[sqlite3.Connection], T]) -> T:
        async with self._lock:
            if self._conn is None:
                self._conn = await asyncio.to_thread(self._open)
            return await asyncio.to_thread(func, self._conn)

    async def read(self, keys: list[str]) -> dict[str, Any]:
        if not keys:
            return {}
        wanted = list(dict.fromkeys(keys))

        def query(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
            marks = ",".join("?" * len(wanted))
            return conn.execute(
                f"SELECT key, etag, doc FROM bot_state WHERE key IN ({marks})", wanted
            ).fetchall()

        rows = await self._run(query)
        return {key: decode(doc, etag) for key, etag, doc in rows}

    async def write(self, changes: dict[str, Any]) -> None:
        if changes is None:
            raise ValueError("Changes are required when writing")
        if not changes:
            return
        planned = [
            (key, expected_etag(item), encode(item), new_etag(), item) for key, item in changes.items()
        ]

        def apply(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN IMMEDIATE")
            try:
                now = time.time()
                for key, expected, doc, etag, _ in planned:
                    if expected is not None:
                        row = conn.execute("SELECT etag FROM bot_state WHERE key=?", (key,)).fetchone()
                        if row is not None and row[0] != expected:
                            raise StorageConflictError(f"Etag conflict on {key!r}")
                    conn.execute(
                        "INSERT INTO bot_state (key, etag, doc, updated_at) VALUES (?,?,?,?)"
                        " ON CONFLICT(key) DO UPDATE SET etag=excluded.etag, doc=excluded.doc,"
                        " updated_at=excluded.updated_at",
                        (key, etag, doc, now),
                    )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

        await self._run(apply)
        for _, _, _, etag, item in planned:
            set_item_etag(item, etag)

    async def delete(self, keys: list[str]) -> None:
        keys = list(keys)
        if not keys:
            return

        def remove(conn: sqlite3.Connection) -> None:
            conn.executemany("DELETE FROM bot_state WHERE key=?", [(k,) for k in keys])

        await self._run(remove)

    async def purge_idle(self, idle_seconds: float) -> int:
        """Delete items not written for ``idle_seconds`` (abandoned calls); returns how many."""
        cutoff = time.time() - idle_seconds
        return await self._run(
            lambda conn: conn.execute("DELETE FROM bot_state WHERE updated_at < ?", (cutoff,)).rowcount
        )

    async def ping(self) -> bool:
        return bool(await self._run(lambda conn: conn.execute("SELECT 1").fetchone()[0] == 1))

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                await asyncio.to_thread(conn.close)
