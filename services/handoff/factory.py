"""Wires the handoff service from settings: session store, summariser, recorder, STT and the KPI monitor."""

from __future__ import annotations

from config import Settings
from services.handoff.embedded_handoff import EmbeddedHandoffService
from services.handoff.kpi import EscalationMonitor, TelemetrySink
from services.handoff.store import HandoffStore, KeyValueStorage
from services.observability.stages import UsageSink
from services.recording.factory import build_recorder
from services.speech.base import SpeechToText
from services.summary.factory import build_summarizer


def build_handoff(
    settings: Settings,
    storage: KeyValueStorage,
    stt: SpeechToText | None = None,
    telemetry: TelemetrySink | None = None,
    on_llm_usage: UsageSink | None = None,
) -> EmbeddedHandoffService:
    """``storage`` is the bot's session Storage (memory/SQLite/Redis/Cosmos); keys ``handoff/...``."""
    cfg = settings.handoff
    return EmbeddedHandoffService(
        HandoffStore(storage),
        target=cfg.agent_teams_id or cfg.agent_phone_number,
        agent_language=cfg.agent_language,
        summarizer=build_summarizer(settings, on_llm_usage),
        monitor=EscalationMonitor(
            cfg.escalation_window_seconds, cfg.escalation_alert_rate, telemetry=telemetry
        ),
        recorder=build_recorder(settings) if cfg.record_on_transfer else None,
        stt=stt,
        record_on_transfer=cfg.record_on_transfer,
    )
