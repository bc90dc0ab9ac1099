"""The audit-trail port: who touched which customer's data, what kind, when and why — never the values."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Protocol


class DataCategory(str, Enum):
    IDENTITY = "identity"  # name, phone, language: the caller lookup
    AUTHENTICATION = "authentication"  # PIN checks
    ACCOUNTS = "accounts"  # balances
    TRANSACTIONS = "transactions"
    CARDS = "cards"
    CARD_STATEMENT = "card_statement"
    TICKETS = "tickets"
    PERSONAL_DATA = "personal_data"  # voice profile, transcripts, recordings (erasure)


class Operation(str, Enum):
    LOOKUP = "lookup"
    READ = "read"
    VERIFY = "verify"
    BLOCK = "block"
    ERASE = "erase"


class AuditUnavailable(Exception):
    """The trail could not record an access: the access must not go ahead (fail closed)."""


@dataclass(frozen=True)
class AuditEntry:
    """One access. Fields hold identifiers and labels only; no balance, PIN, number or name."""

    actor: str
    """The service identity that accessed the data (``voicebot``, a managed identity, ``cli``)."""
    conversation_id: str
    customer_id: str
    """The data subject; empty when a lookup found nobody."""
    category: DataCategory
    operation: Operation
    intent: str
    """Why: the caller intent the dialog was serving (``check_balance``)."""
    outcome: str = "ok"
    """``ok``, ``not_found``, ``denied`` (wrong PIN), ``failed`` (the service failed)."""
    detail: str = ""
    """The port method or action (``get_accounts``), or an error type — never a value."""
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    seq: int = 0
    """Position in the trail, set by the store."""
    entry_hash: str = ""
    """Hash chain link, set by stores that chain (see EmbeddedAuditTrail)."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["category"] = self.category.value
        data["operation"] = self.operation.value
        data["at"] = self.at.isoformat()
        return data


class AuditTrail(Protocol):
    """Append-only: there is deliberately no update or delete."""

    async def append(self, entry: AuditEntry) -> None: ...

    async def query(self, customer_id: str, limit: int | None = None) -> list[AuditEntry]: ...

    async def close(self) -> None: ...
