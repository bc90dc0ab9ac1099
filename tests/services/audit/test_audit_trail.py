"""Every CRM access leaves an audit entry — who, what, when, why — and never the data itself."""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from config import CrmHttpSettings
from services.audit import audit_appender
from services.audit.base import AuditEntry, AuditUnavailable, DataCategory, Operation
from services.audit.embedded_sqlite import EmbeddedAuditTrail
from services.audit.log_sink import LogAuditTrail
from services.crm.audited import AuditedCrm
from services.crm.base import CardNotFound, CrmUnavailable
from services.crm.cached import CallScopedCrm
from services.crm.embedded_sqlite import EmbeddedSqliteCrm
from services.crm.http_crm import HttpCrm
from services.crm.models import AccessContext, AccountType, CardType
from services.crm.server import create_crm_app
from tests.support.leaks import reveals
from tests.support.servers import ROOT, free_port

CTX = AccessContext(conversation_id="conv-42", intent="check_balance", actor="voicebot")
# Values that must never reach the trail: balances, amounts, PIN, phone, names, block references.
SECRETS = (
    "1250.40",
    "310.75",
    "842.10",
    "54.20",
    "1234",
    "9999",
    "+14255550100",
    "4255550100",
    "Carlos",
    "Rivera",
)


async def _exercise(crm: AuditedCrm) -> str:
    await crm.find_customer_by_phone("+14255550100", AccessContext("conv-42", "identify"))
    await crm.find_customer_by_phone("+19995550000", AccessContext("conv-42", "identify"))
    await crm.get_customer("C1001", CTX)
    assert await crm.verify_pin("C1001", "9999", AccessContext("conv-42", "authenticate")) is False
    assert await crm.verify_pin("C1001", "1234", AccessContext("conv-42", "authenticate")) is True
    await crm.get_accounts("C1001", CTX)
    await crm.get_transactions(
        "C1001", AccountType.CHECKING, 3, AccessContext("conv-42", "recent_transactions")
    )
    await crm.get_cards("C1001", AccessContext("conv-42", "block_card"))
    await crm.get_card_statement("C1001", AccessContext("conv-42", "card_statement"))
    reference = await crm.block_card("C1001", CardType.DEBIT, AccessContext("conv-42", "block_card"))
    await crm.get_open_tickets("C1001", AccessContext("conv-42", "ticket_status"))
    return reference


def _assert_no_values(text: str, reference: str) -> None:
    # Hex digests and timestamps may hold any digit run by chance ("9999", "23:10:54.207873" holds
    # "54.20"): reveals() looks outside them.
    for secret in (*SECRETS, reference):
        assert not reveals(text, secret), secret


async def test_each_crm_call_writes_one_entry_without_values(tmp_path: Path) -> None:
    trail = EmbeddedAuditTrail(tmp_path / "audit.sqlite3")
    crm = AuditedCrm(EmbeddedSqliteCrm(tmp_path / "crm.sqlite3"), trail)
    reference = await _exercise(crm)

    entries = await trail.query("C1001")
    got = [(e.category.value, e.operation.value, e.intent, e.outcome) for e in entries]
    assert got == [
        ("identity", "lookup", "identify", "ok"),
        ("identity", "read", "check_balance", "ok"),
        ("authentication", "verify", "authenticate", "denied"),
        ("authentication", "verify", "authenticate", "ok"),
        ("accounts", "read", "check_balance", "ok"),
        ("transactions", "read", "recent_transactions", "ok"),
        ("cards", "read", "block_card", "ok"),
        ("card_statement", "read", "card_statement", "ok"),
        ("cards", "block", "block_card", "requested"),
        ("cards", "block", "block_card", "ok"),
        ("tickets", "read", "ticket_status", "ok"),
    ]
    assert all(e.actor == "voicebot" and e.conversation_id == "conv-42" for e in entries)
    assert all(e.at.tzinfo is not None for e in entries)
    unknown = await trail.query("")
    assert [(e.operation.value, e.outcome) for e in unknown] == [("lookup", "not_found")]

    dump = "\n".join((tmp_path / "audit.sqlite3").read_bytes().decode("latin-1").splitlines())
    _assert_no_values(dump, reference)
    _assert_no_values(json.dumps([e.to_dict() for e in entries]), reference)
    await crm.close()
    await trail.close()


async def test_audited_http_crm_against_the_demo_server(tmp_path: Path) -> None:
    server = TestServer(
        create_crm_app(EmbeddedSqliteCrm(tmp_path / "crm.sqlite3")), host="127.0.0.1", port=free_port()
    )
    await server.start_server()
    trail = EmbeddedAuditTrail(tmp_path / "audit.sqlite3")
    http = HttpCrm(CrmHttpSettings(base_url=str(server.make_url("")).rstrip("/")))
    crm = AuditedCrm(CallScopedCrm(http), trail)
    reference = await _exercise(crm)
    await crm.find_customer_by_phone("(425) 555-0100", AccessContext("conv-42", "identify"))  # cached
    entries = await trail.query("C1001")
    assert len(entries) == 12  # the cached lookup is recorded too: the bot still got the data
    _assert_no_values(json.dumps([e.to_dict() for e in entries]), reference)
    await crm.close()
    await trail.close()
    await server.close()


async def test_failures_and_missing_cards_are_recorded(tmp_path: Path) -> None:
    trail = EmbeddedAuditTrail(tmp_path / "audit.sqlite3")
    down = HttpCrm(CrmHttpSettings(base_url=f"http://127.0.0.1:{free_port()}", max_retries=0))
    crm = AuditedCrm(down, trail)
    with pytest.raises(CrmUnavailable):
        await crm.get_accounts("C1001", CTX)
    embedded = AuditedCrm(EmbeddedSqliteCrm(tmp_path / "crm.sqlite3"), trail)
    with pytest.raises(CardNotFound):
        await embedded.block_card("C9999", CardType.CREDIT, CTX)
    assert [(e.detail, e.outcome) for e in await trail.query("C1001")] == [
        ("get_accounts:CrmUnavailable", "failed")
    ]
    assert [e.outcome for e in await trail.query("C9999")] == ["requested", "not_found"]
    await crm.close()
    await embedded.close()
    await trail.close()


async def test_no_data_is_handed_out_when_the_trail_cannot_record(tmp_path: Path) -> None:
    class BrokenTrail:
        async def append(self, entry: AuditEntry) -> None:
            raise AuditUnavailable("disk full")

    inner = EmbeddedSqliteCrm(tmp_path / "crm.sqlite3")
    crm = AuditedCrm(inner, BrokenTrail())  # type: ignore[arg-type]
    with pytest.raises(CrmUnavailable, match="audit"):
        await crm.get_accounts("C1001", CTX)
    with pytest.raises(CrmUnavailable):
        await crm.block_card("C1001", CardType.CREDIT, CTX)
    assert {c.card_type: c.status for c in await inner.get_cards("C1001", CTX)}[CardType.CREDIT] == "active"
    await inner.close()


async def test_trail_is_append_only_and_tampering_breaks_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    trail = EmbeddedAuditTrail(path)
    for intent in ("a", "b", "c"):
        await trail.append(
            AuditEntry("voicebot", "conv", "C1001", DataCategory.ACCOUNTS, Operation.READ, intent)
        )
    assert await trail.verify() == (True, None)
    assert not hasattr(trail, "update") and not hasattr(trail, "delete")

    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit SET intent='x' WHERE seq=2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit WHERE seq=2")
    # Someone with file access drops the guard and edits a row: the chain shows it.
    conn.execute("DROP TRIGGER audit_no_update")
    conn.execute("UPDATE audit SET intent='innocent' WHERE seq=2")
    conn.commit()
    conn.close()
    assert await trail.verify() == (False, 2)
    await trail.close()


async def test_query_limit_returns_the_most_recent_in_order(tmp_path: Path) -> None:
    trail = EmbeddedAuditTrail(tmp_path / "audit.sqlite3")
    for i in range(5):
        await trail.append(AuditEntry("voicebot", f"c{i}", "C1002", DataCategory.CARDS, Operation.READ, "x"))
    assert [e.conversation_id for e in await trail.query("C1002", limit=2)] == ["c3", "c4"]
    await trail.close()


async def test_log_sink_emits_one_structured_record_without_values(caplog: pytest.LogCaptureFixture) -> None:
    sink = LogAuditTrail()
    with caplog.at_level(logging.INFO, logger="voicebot.audit"):
        await sink.append(
            AuditEntry("voicebot", "conv-9", "C1001", DataCategory.ACCOUNTS, Operation.READ, "balance")
        )
    (record,) = caplog.records
    assert record.name == "voicebot.audit" and record.getMessage() == "customer data access"
    assert record.audit_customer_id == "C1001" and record.audit_category == "accounts"  # type: ignore[attr-defined]
    assert record.audit_intent == "balance" and record.audit_conversation_id == "conv-9"  # type: ignore[attr-defined]


async def test_privacy_erasure_appender_writes_to_the_trail(tmp_path: Path) -> None:
    append = audit_appender(tmp_path)
    await append({"action": "privacy.erasure", "outcome": "completed", "customer_id": "C1001", "actor": "dpo",
                  "files_deleted": ["transcripts/C1001/secret.txt"]})  # fmt: skip
    trail = EmbeddedAuditTrail(tmp_path / "audit.sqlite3")
    (entry,) = await trail.query("C1001")
    assert (entry.actor, entry.operation, entry.outcome) == ("dpo", Operation.ERASE, "completed")
    assert "secret.txt" not in json.dumps(entry.to_dict())
    await trail.close()


async def test_cli_lists_a_customers_entries(tmp_path: Path) -> None:
    trail = EmbeddedAuditTrail(tmp_path / "audit.sqlite3")
    crm = AuditedCrm(EmbeddedSqliteCrm(tmp_path / "crm.sqlite3"), trail)
    reference = await _exercise(crm)
    await crm.close()
    await trail.close()

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "cli.py", "audit", "--data-dir", str(tmp_path), *args],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    table = cli("--customer", "C1001", "--verify")
    assert table.returncode == 0, table.stderr
    assert "11 entries for customer C1001" in table.stdout and "hash chain intact" in table.stdout
    assert "authenticate" in table.stdout and "denied" in table.stdout
    _assert_no_values(table.stdout, reference)
    lines = cli("--customer", "C1001", "--json", "--limit", "2").stdout.splitlines()
    assert [json.loads(line)["intent"] for line in lines] == ["block_card", "ticket_status"]
