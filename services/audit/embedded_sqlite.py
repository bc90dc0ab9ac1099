"""Embedded audit trail: an append-only, hash-chained SQLite table under settings.data_dir."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from services.audit.base import AuditEntry, AuditUnavailable, DataCategory, Operation
from storage.sqlite_connection import open_sqlite

T = TypeVar("T")

GENESIS = "0" * 64
_FIELDS = (
    "at",
    "actor",
    "conversation_id",
    "customer_id",
    "category",
    "operation",
    "intent",
    "outcome",
    "detail",
)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL, actor TEXT NOT NULL, conversation_id TEXT NOT NULL, customer_id TEXT NOT NULL,
    category TEXT NOT NULL, operation TEXT NOT NULL, intent TEXT NOT NULL, outcome TEXT NOT NULL,
    detail TEXT NOT NULL, prev_hash TEXT NOT NULL, entry_hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_customer ON audit (customer_id, seq);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;
"""


def chain_hash(prev_hash: str, row: dict[str, str]) -> str:
    """sha256 over the previous link and the entry's fields (canonical JSON)."""
    canonical = json.dumps(
        {k: row[k] for k in _FIELDS}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


class EmbeddedAuditTrail:
    """Append-only by construction: the class has no update/delete, and SQLite triggers abort any
    UPDATE or DELETE issued by other code. Tamper-evident: each row stores
    ``sha256(prev_hash + entry)``, so editing or removing a row with another tool breaks every
    later link, which ``verify()`` reports. (Evidence, not prevention: someone who rewrites the
    whole file can recompute the chain — anchor the last hash elsewhere, e.g. the log sink.)
    Appends from several processes are serialised by ``BEGIN IMMEDIATE``."""

    def __init__(self, db_path: Path | str) -> None:
        self._db_path = str(db_path)
        self._lock = asyncio.Lock()
        self._conn: sqlite3.Connection | None = None

    def _open(self) -> sqlite3.Connection:
        conn = open_sqlite(self._db_path)  # full fsync: an audit entry survives a power cut
        conn.row_factory = sqlite3.Row
        conn.executescript(_SCHEMA)
        return conn

    async def _run(self, func: Callable[[sqlite3.Connection], T]) -> T:
        try:
            async with self._lock:
                if self._conn is None:
                    self._conn = await asyncio.to_thread(self._open)
                return await asyncio.to_thread(func, self._conn)
        except sqlite3.Error as exc:
            raise AuditUnavailable(f"audit store: {type(exc).__name__}") from exc

    async def append(self, entry: AuditEntry) -> None:
        row = {k: str(v) for k, v in entry.to_dict().items() if k in _FIELDS}

        def insert(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN IMMEDIATE")
            try:
                last = conn.execute("SELECT entry_hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
                prev = last[0] if last else GENESIS
                conn.execute(
                    f"INSERT INTO audit ({', '.join(_FIELDS)}, prev_hash, entry_hash)"
                    f" VALUES ({', '.join('?' * (len(_FIELDS) + 2))})",
                    [row[k] for k in _FIELDS] + [prev, chain_hash(prev, row)],
                )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

        await self._run(insert)

    async def query(self, customer_id: str, limit: int | None = None) -> list[AuditEntry]:
        def select(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            if limit is None:
                return conn.execute(
                    "SELECT * FROM audit WHERE customer_id=? ORDER BY seq", (customer_id,)
                ).fetchall()
            return conn.execute(
                "SELECT * FROM (SELECT * FROM audit WHERE customer_id=? ORDER BY seq DESC LIMIT ?)"
                " ORDER BY seq",
                (customer_id, int(limit)),
            ).fetchall()

        return [self._entry(r) for r in await self._run(select)]

    @staticmethod
    def _entry(r: sqlite3.Row) -> AuditEntry:
        return AuditEntry(
            actor=r["actor"], conversation_id=r["conversation_id"], customer_id=r["customer_id"],
            category=DataCategory(r["category"]), operation=Operation(r["operation"]), intent=r["intent"],
            outcome=r["outcome"], detail=r["detail"], at=datetime.fromisoformat(r["at"]), seq=r["seq"],
            entry_hash=r["entry_hash"],
        )  # fmt: skip

    async def verify(self) -> tuple[bool, int | None]:
        """Walk the chain: ``(True, None)`` when intact, else ``(False, first broken seq)``."""

        def walk(conn: sqlite3.Connection) -> tuple[bool, int | None]:
            prev = GENESIS
            for r in conn.execute("SELECT * FROM audit ORDER BY seq"):
                row = {k: r[k] for k in _FIELDS}
                if r["prev_hash"] != prev or r["entry_hash"] != chain_hash(prev, row):
                    return False, int(r["seq"])
                prev = r["entry_hash"]
            return True, None

        return await self._run(walk)

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                await asyncio.to_thread(conn.close)
