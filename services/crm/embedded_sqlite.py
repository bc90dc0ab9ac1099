"""Embedded CRM: a local SQLite database seeded with demo customers (the offline default)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from core.secrets.local_secret import local_secret
from services.crm.base import CardNotFound, Crm
from services.crm.models import (
    AccessContext,
    Account,
    AccountType,
    Card,
    CardStatement,
    CardType,
    Customer,
    Ticket,
    Transaction,
)
from services.crm.pin_hash import LEGACY_PBKDF2, PinHasher, StoredPin
from services.crm.seed import DEMO_CUSTOMERS, DemoCustomer

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (
    customer_id TEXT PRIMARY KEY, first_name TEXT, last_name TEXT, phone TEXT UNIQUE,
    language TEXT, pin_salt BLOB, pin_hash BLOB, pin_scheme TEXT);
CREATE TABLE IF NOT EXISTS accounts (
    account_id TEXT PRIMARY KEY, customer_id TEXT, account_type TEXT, balance TEXT,
    currency TEXT, last4 TEXT);
CREATE TABLE IF NOT EXISTS transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, account_id TEXT, posted_on TEXT, description TEXT,
    amount TEXT, currency TEXT);
CREATE TABLE IF NOT EXISTS cards (
    card_id TEXT PRIMARY KEY, customer_id TEXT, card_type TEXT, last4 TEXT, status TEXT);
CREATE TABLE IF NOT EXISTS statements (
    customer_id TEXT PRIMARY KEY, statement_balance TEXT, minimum_payment TEXT, due_date TEXT,
    currency TEXT);
CREATE TABLE IF NOT EXISTS tickets (
    ticket_id TEXT PRIMARY KEY, customer_id TEXT, subject TEXT, opened_at TEXT, status TEXT);
CREATE TABLE IF NOT EXISTS card_blocks (
    reference TEXT PRIMARY KEY, card_id TEXT, blocked_at TEXT, conversation_id TEXT);
"""


PEPPER_FILE = Path("secrets") / "crm-pin-pepper"
"""Where the generated pepper lives when none is configured, from the database's folder (the data folder)."""


def _next_month_day(today: date, day: int) -> date:
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return date(year, month, day)


def _last_monday(today: date) -> date:
    back = today.weekday() or 7
    return today - timedelta(days=back)


class EmbeddedSqliteCrm(Crm):
    """The CRM port over SQLite. sqlite3 runs in a worker thread: the stdlib driver is
    well kept and the load is tiny, so an extra async driver dependency buys nothing here."""

    def __init__(
        self, db_path: Path | str, today: Callable[[], date] = date.today, *, pin_pepper: bytes | None = None
    ) -> None:
        """``pin_pepper``: the key of the PINs' hash (services/crm/pin_hash.py), from the secrets provider;
        None: a generated 0600 file, ``secrets/crm-pin-pepper`` in the database's folder, made when the
        database opens (a random key per process for ``:memory:``)."""
        self._db_path = str(db_path)
        self._today = today
        # A configured pepper is checked now (too short: ValueError at start-up, not at the first call).
        self._pins: PinHasher | None = PinHasher(pin_pepper) if pin_pepper is not None else None
        self._lock = asyncio.Lock()
        self._conn: sqlite3.Connection | None = None
        self._opening: asyncio.Future[sqlite3.Connection] | None = None

    async def _run(self, func: Callable[[sqlite3.Connection], T]) -> T:
        async with self._lock:
            conn = await self._connection()
            return await asyncio.to_thread(func, conn)

    async def _connection(self) -> sqlite3.Connection:
        """Open (and seed) the database once. The opening is shielded: a turn cancelled meanwhile (a
        hang-up) leaves it running for the next caller instead of letting a second one seed again."""
        if self._conn is None:
            if self._opening is None:
                self._opening = asyncio.ensure_future(asyncio.to_thread(self._open))
            try:
                self._conn = await asyncio.shield(self._opening)
            except Exception:
                self._opening = None  # a failed opening may be tried again
                raise
        return self._conn

    def _open(self) -> sqlite3.Connection:
        if self._db_path != ":memory:":
            Path(self._db_path).parent.mkdir(parents=True, exist_ok=True)
        if self._pins is None:
            self._pins = PinHasher(self._pepper())
        conn = sqlite3.connect(self._db_path, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.executescript(_SCHEMA)
        columns = {row["name"] for row in conn.execute("PRAGMA table_info(customers)")}
        if "pin_scheme" not in columns:  # a database written before the pepper: its rows are PBKDF2
            conn.execute("ALTER TABLE customers ADD COLUMN pin_scheme TEXT")
        if conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 0:
            for customer in DEMO_CUSTOMERS:
                self._seed(conn, customer)
        self._refresh_relative_dates(conn)
        conn.commit()
        return conn

    def _pepper(self) -> bytes:
        if self._db_path == ":memory:":
            return secrets.token_bytes(32)  # the table lives no longer than this process
        return local_secret(Path(self._db_path).parent / PEPPER_FILE)

    def _seed(self, conn: sqlite3.Connection, c: DemoCustomer) -> None:
        assert self._pins is not None
        pin = self._pins.hash(c.pin)
        conn.execute(
            "INSERT INTO customers (customer_id, first_name, last_name, phone, language, pin_salt, pin_hash,"
            " pin_scheme) VALUES (?,?,?,?,?,?,?,?)",
            (c.customer_id, c.first_name, c.last_name, c.phone, c.language, pin.salt, pin.digest, pin.scheme),
        )
        today = self._today()
        for acc in c.accounts:
            conn.execute(
                "INSERT INTO accounts VALUES (?,?,?,?,?,?)",
                (acc.account_id, c.customer_id, acc.account_type, acc.balance, acc.currency, acc.last4),
            )
            for days_ago, description, amount in acc.transactions:
                conn.execute(
                    "INSERT INTO transactions (account_id, posted_on, description, amount, currency)"
                    " VALUES (?,?,?,?,?)",
                    (
                        acc.account_id,
                        (today - timedelta(days=days_ago)).isoformat(),
                        description,
                        amount,
                        acc.currency,
                    ),
                )
        for card in c.cards:
            conn.execute(
                "INSERT INTO cards VALUES (?,?,?,?,?)",
                (card.card_id, c.customer_id, card.card_type, card.last4, "active"),
            )
        if c.statement:
            conn.execute(
                "INSERT INTO statements VALUES (?,?,?,?,?)",
                (c.customer_id, c.statement.balance, c.statement.minimum, "", c.statement.currency),
            )
        for ticket_id, subject in c.open_tickets:
            conn.execute(
                "INSERT INTO tickets VALUES (?,?,?,?,?)", (ticket_id, c.customer_id, subject, "", "open")
            )

    def _refresh_relative_dates(self, conn: sqlite3.Connection) -> None:
        """Demo data speaks of "the 15th of next month" and "last Monday": keep it true every day."""
        today = self._today()
        for c in DEMO_CUSTOMERS:
            if c.statement:
                due = _next_month_day(today, c.statement.due_day).isoformat()
                conn.execute("UPDATE statements SET due_date=? WHERE customer_id=?", (due, c.customer_id))
            opened = datetime.combine(_last_monday(today), time(10, 30), tzinfo=UTC).isoformat()
            conn.execute("UPDATE tickets SET opened_at=? WHERE customer_id=?", (opened, c.customer_id))

    @staticmethod
    def _customer(row: sqlite3.Row | None) -> Customer | None:
        if row is None:
            return None
        return Customer(
            row["customer_id"], row["first_name"], row["last_name"], row["phone"], row["language"]
        )

    async def find_customer_by_phone(self, phone_e164: str, ctx: AccessContext) -> Customer | None:
        return await self._run(
            lambda conn: self._customer(
                conn.execute("SELECT * FROM customers WHERE phone=?", (phone_e164,)).fetchone()
            )
        )

    async def get_customer(self, customer_id: str, ctx: AccessContext) -> Customer | None:
        return await self._run(
            lambda conn: self._customer(
                conn.execute("SELECT * FROM customers WHERE customer_id=?", (customer_id.upper(),)).fetchone()
            )
        )

    async def verify_pin(self, customer_id: str, pin: str, ctx: AccessContext) -> bool:
        def check(conn: sqlite3.Connection) -> bool:
            pins = self._pins
            assert pins is not None  # set when the connection opened
            row = conn.execute(
                "SELECT pin_scheme, pin_salt, pin_hash FROM customers WHERE customer_id=?", (customer_id,)
            ).fetchone()
            if row is None:
                pins.hash(pin)  # the same work as a known customer's check
                return False
            stored = StoredPin(row["pin_scheme"] or LEGACY_PBKDF2, row["pin_salt"], row["pin_hash"])
            if not pins.verify(pin, stored):
                return False
            if pins.needs_rehash(stored):  # a PBKDF2 row: under the pepper from now on
                fresh = pins.hash(pin)
                conn.execute(
                    "UPDATE customers SET pin_scheme=?, pin_salt=?, pin_hash=? WHERE customer_id=?",
                    (fresh.scheme, fresh.salt, fresh.digest, customer_id),
                )
                conn.commit()
            return True

        return await self._run(check)

    async def get_accounts(self, customer_id: str, ctx: AccessContext) -> list[Account]:
        def query(conn: sqlite3.Connection) -> list[Account]:
            rows = conn.execute(
                "SELECT * FROM accounts WHERE customer_id=? ORDER BY account_id", (customer_id,)
            ).fetchall()
            return [
                Account(
                    r["account_id"],
                    AccountType(r["account_type"]),
                    Decimal(r["balance"]),
                    r["currency"],
                    r["last4"],
                )
                for r in rows
            ]

        return await self._run(query)

    async def get_transactions(
        self, customer_id: str, account_type: AccountType, limit: int, ctx: AccessContext
    ) -> list[Transaction]:
        def query(conn: sqlite3.Connection) -> list[Transaction]:
            rows = conn.execute(
                "SELECT t.* FROM transactions t JOIN accounts a ON a.account_id = t.account_id"
                " WHERE a.customer_id=? AND a.account_type=? ORDER BY t.posted_on DESC, t.id DESC LIMIT ?",
                (customer_id, account_type.value, limit),
            ).fetchall()
            return [
                Transaction(
                    date.fromisoformat(r["posted_on"]), r["description"], Decimal(r["amount"]), r["currency"]
                )
                for r in rows
            ]

        return await self._run(query)

    async def get_cards(self, customer_id: str, ctx: AccessContext) -> list[Card]:
        def query(conn: sqlite3.Connection) -> list[Card]:
            rows = conn.execute(
                "SELECT * FROM cards WHERE customer_id=? ORDER BY card_id", (customer_id,)
            ).fetchall()
            return [Card(r["card_id"], CardType(r["card_type"]), r["last4"], r["status"]) for r in rows]

        return await self._run(query)

    async def get_card_statement(self, customer_id: str, ctx: AccessContext) -> CardStatement | None:
        def query(conn: sqlite3.Connection) -> CardStatement | None:
            r = conn.execute("SELECT * FROM statements WHERE customer_id=?", (customer_id,)).fetchone()
            if r is None:
                return None
            return CardStatement(
                Decimal(r["statement_balance"]),
                Decimal(r["minimum_payment"]),
                date.fromisoformat(r["due_date"]),
                r["currency"],
            )

        return await self._run(query)

    async def block_card(self, customer_id: str, card_type: CardType, ctx: AccessContext) -> str:
        def block(conn: sqlite3.Connection) -> str:
            row = conn.execute(
                "SELECT card_id FROM cards WHERE customer_id=? AND card_type=?",
                (customer_id, card_type.value),
            ).fetchone()
            if row is None:
                raise CardNotFound(card_type.value)
            reference = "BLK" + "".join(secrets.choice("0123456789") for _ in range(6))
            conn.execute("UPDATE cards SET status='blocked' WHERE card_id=?", (row["card_id"],))
            conn.execute(
                "INSERT INTO card_blocks VALUES (?,?,?,?)",
                (reference, row["card_id"], datetime.now(UTC).isoformat(), ctx.conversation_id),
            )
            conn.commit()
            return reference

        return await self._run(block)

    async def get_open_tickets(self, customer_id: str, ctx: AccessContext) -> list[Ticket]:
        def query(conn: sqlite3.Connection) -> list[Ticket]:
            rows = conn.execute(
                "SELECT * FROM tickets WHERE customer_id=? AND status='open' ORDER BY opened_at",
                (customer_id,),
            ).fetchall()
            return [
                Ticket(r["ticket_id"], r["subject"], datetime.fromisoformat(r["opened_at"]), r["status"])
                for r in rows
            ]

        return await self._run(query)

    async def close(self) -> None:
        async with self._lock:
            opening, self._opening = self._opening, None
            conn, self._conn = self._conn, None
            if conn is None and opening is not None:
                with contextlib.suppress(Exception):  # a failed opening left nothing to close
                    conn = await opening
            if conn is not None:
                await asyncio.to_thread(conn.close)

    async def ping(self) -> bool:
        """Readiness: the database answers a trivial query."""
        result: Any = await self._run(lambda conn: conn.execute("SELECT 1").fetchone()[0])
        return bool(result == 1)
