"""Chooses the audit trail from settings: the embedded store, plus the log sink when telemetry is on."""

from __future__ import annotations

from pathlib import Path

from config import Settings
from services.audit.base import AuditEntry, AuditTrail
from services.audit.embedded_sqlite import EmbeddedAuditTrail
from services.audit.log_sink import LogAuditTrail


class FanOutAuditTrail:
    """Appends to every trail (all must succeed); queries the first."""

    def __init__(self, trails: list[AuditTrail]) -> None:
        self._trails = trails

    async def append(self, entry: AuditEntry) -> None:
        for trail in self._trails:
            await trail.append(entry)

    async def query(self, customer_id: str, limit: int | None = None) -> list[AuditEntry]:
        return await self._trails[0].query(customer_id, limit)

    async def close(self) -> None:
        for trail in self._trails:
            await trail.close()


def audit_db_path(data_dir: Path) -> Path:
    return Path(data_dir) / "audit.sqlite3"


def create_audit_trail(settings: Settings) -> AuditTrail:
    """Always the embedded, hash-chained SQLite store under ``data_dir`` (what the CLI reads); when an
    Application Insights connection string is set, also the structured-log sink to Log Analytics,
    which is the durable, central record once several instances run."""
    embedded = EmbeddedAuditTrail(audit_db_path(settings.data_dir))
    if settings.telemetry.applicationinsights_connection_string.get_secret_value():
        return FanOutAuditTrail([embedded, LogAuditTrail()])
    return embedded
