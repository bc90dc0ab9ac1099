"""PINs in the embedded CRM: a salted HMAC-SHA256 under a pepper kept apart from the table, so a copy of
the table alone cannot be searched for the PINs; rows hashed with PBKDF2 before keep verifying."""

from __future__ import annotations

import hashlib
import sqlite3
import stat

from config import Settings
from services.crm.base import AccessContext
from services.crm.embedded_sqlite import PEPPER_FILE, EmbeddedSqliteCrm
from services.crm.factory import create_embedded_crm

CTX = AccessContext("call-1", "test")
CARLOS, CARLOS_PIN = "C1001", "1234"


def _row(db, customer_id: str = CARLOS) -> tuple[str | None, bytes, bytes]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT pin_scheme, pin_salt, pin_hash FROM customers WHERE customer_id=?", (customer_id,)
        ).fetchone()


async def test_the_right_pin_verifies_and_a_wrong_one_does_not(tmp_path) -> None:
    crm = EmbeddedSqliteCrm(tmp_path / "crm.sqlite3")
    assert await crm.verify_pin(CARLOS, CARLOS_PIN, CTX)
    assert not await crm.verify_pin(CARLOS, "4321", CTX)  # María's PIN, not Carlos's
    assert not await crm.verify_pin(CARLOS, "", CTX)
    assert not await crm.verify_pin("C9999", CARLOS_PIN, CTX)  # no such customer
    await crm.close()


async def test_a_copy_of_the_table_without_the_pepper_verifies_nothing(tmp_path) -> None:
    db = tmp_path / "crm.sqlite3"
    crm = EmbeddedSqliteCrm(db)
    assert await crm.verify_pin(CARLOS, CARLOS_PIN, CTX)
    await crm.close()
    pepper = (tmp_path / PEPPER_FILE).read_bytes()
    assert pepper not in db.read_bytes()
    assert _row(db)[0] == "hmac-sha256-pepper"
    # The same table under another pepper (a stolen copy) verifies no PIN, the right one included.
    stolen = EmbeddedSqliteCrm(db, pin_pepper=b"an attacker's own guess at the key")
    assert not await stolen.verify_pin(CARLOS, CARLOS_PIN, CTX)
    await stolen.close()


async def test_the_generated_pepper_is_private_and_kept_across_restarts(tmp_path) -> None:
    crm = EmbeddedSqliteCrm(tmp_path / "crm.sqlite3")
    assert await crm.verify_pin(CARLOS, CARLOS_PIN, CTX)
    await crm.close()
    pepper_file = tmp_path / PEPPER_FILE
    assert stat.S_IMODE(pepper_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(pepper_file.parent.stat().st_mode) == 0o700
    restarted = EmbeddedSqliteCrm(tmp_path / "crm.sqlite3")
    assert await restarted.verify_pin(CARLOS, CARLOS_PIN, CTX)
    await restarted.close()


async def test_a_configured_pepper_is_used_and_no_file_is_made(tmp_path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, embedded_crm={"pin_pepper": "k" * 32})
    crm = create_embedded_crm(settings)
    assert await crm.verify_pin(CARLOS, CARLOS_PIN, CTX)
    await crm.close()
    assert not (tmp_path / PEPPER_FILE).exists()
    unconfigured = EmbeddedSqliteCrm(tmp_path / "crm.sqlite3")  # a generated pepper is another key
    assert not await unconfigured.verify_pin(CARLOS, CARLOS_PIN, CTX)
    await unconfigured.close()


async def test_a_database_hashed_with_pbkdf2_still_verifies_and_moves_to_the_pepper(tmp_path) -> None:
    """A table written before the pepper (no scheme column, PBKDF2 rows): the right PIN verifies and its
    row is re-hashed under the pepper; a wrong PIN fails and leaves the row as it was."""
    db = tmp_path / "crm.sqlite3"
    salt = b"0123456789abcdef"
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TABLE customers (customer_id TEXT PRIMARY KEY, first_name TEXT, last_name TEXT,"
            " phone TEXT UNIQUE, language TEXT, pin_salt BLOB, pin_hash BLOB)"
        )
        for customer_id, pin in ((CARLOS, CARLOS_PIN), ("C1002", "4321")):
            legacy = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, 50_000)
            conn.execute(
                "INSERT INTO customers VALUES (?,?,?,?,?,?,?)",
                (customer_id, "x", "y", f"+1425555{customer_id}", "en", salt, legacy),
            )
    crm = EmbeddedSqliteCrm(db)
    assert not await crm.verify_pin("C1002", "1234", CTX)
    assert _row(db, "C1002")[0] is None  # still the PBKDF2 row
    assert await crm.verify_pin(CARLOS, CARLOS_PIN, CTX)
    scheme, new_salt, _ = _row(db)
    assert scheme == "hmac-sha256-pepper" and new_salt != salt
    assert await crm.verify_pin(CARLOS, CARLOS_PIN, CTX)  # and verifies under the pepper from now on
    assert not await crm.verify_pin(CARLOS, "1235", CTX)
    assert await crm.verify_pin("C1002", "4321", CTX)
    await crm.close()
