"""Production audit sink: one structured log record per access, exported to Log Analytics by OpenTelemetry."""

from __future__ import annotations

import logging

from services.audit.base import AuditEntry

AUDIT_LOGGER = "voicebot.audit"


class LogAuditTrail:
    """Writes each entry as an INFO record on the ``voicebot.audit`` logger with flat ``audit_*``
    attributes. With ``azure-monitor-opentelemetry`` configured (TELEMETRY__APPLICATIONINSIGHTS_
    CONNECTION_STRING), the root logger's OpenTelemetry handler ships the record to the
    Application Insights resource's Log Analytics workspace, table ``AppTraces``, attributes in
    ``Properties``. Query it with KQL, e.g.::

        AppTraces
        | where Message == "customer data access" and tostring(Properties.audit_customer_id) == "C1001"
        | project TimeGenerated, Properties.audit_actor, Properties.audit_conversation_id,
                  Properties.audit_category, Properties.audit_operation, Properties.audit_intent,
                  Properties.audit_outcome

    Retention and immutability come from the workspace (table retention, a Purview/Sentinel
    export, or an immutable storage export), not from the app. Entries carry identifiers and
    labels only, so the redaction filter has nothing to remove. ``query`` is not served from
    here: operators use KQL; ``python cli.py audit`` reads the embedded store."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or logging.getLogger(AUDIT_LOGGER)

    async def append(self, entry: AuditEntry) -> None:
        self._log.info(
            "customer data access",
            extra={f"audit_{k}": v for k, v in entry.to_dict().items() if k not in ("seq", "entry_hash")},
        )

    async def query(self, customer_id: str, limit: int | None = None) -> list[AuditEntry]:
        return []

    async def close(self) -> None:
        return None
