"""Audit trail of customer-data access: port, embedded append-only store, log sink, CLI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from services.audit.base import AuditEntry, AuditTrail, AuditUnavailable, DataCategory, Operation

__all__ = ["AuditEntry", "AuditTrail", "AuditUnavailable", "DataCategory", "Operation", "audit_appender"]


def audit_appender(data_dir: Path) -> Callable[[dict[str, Any]], Awaitable[None]]:
    """Adapter for ``core.privacy``: turns its erasure dict into an AuditEntry in the embedded
    trail. Only identifiers and labels are kept from the dict (never file names or contents)."""
    from services.audit.embedded_sqlite import EmbeddedAuditTrail
    from services.audit.factory import audit_db_path

    async def append(record: dict[str, Any]) -> None:
        trail = EmbeddedAuditTrail(audit_db_path(data_dir))
        try:
            await trail.append(
                AuditEntry(
                    actor=str(record.get("actor", "cli")),
                    conversation_id="",
                    customer_id=str(record.get("customer_id", "")),
                    category=DataCategory.PERSONAL_DATA,
                    operation=Operation.ERASE,
                    intent="erasure_request",
                    outcome=str(record.get("outcome", "")),
                    detail=str(record.get("action", "privacy.erasure")),
                )
            )
        finally:
            await trail.close()

    return append
