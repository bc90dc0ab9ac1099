"""Wires the handoff service from settings: session store, summariser, recorder, STT and the KPI monitor."""

from __future__ import annotations

from config import Settings
from core.observability.stages import UsageSink
from services.handoff.embedded_handoff import EmbeddedHandoffService
from services.handoff.flood import HandoffRateLimiter
from services.handoff.kpi import EscalationMonitor, TelemetrySink
from services.handoff.store import HandoffStore, KeyValueStorage
from services.handoff.targets import agent_raw_id
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
        target=transfer_target(settings),
        agent_language=cfg.agent_language,
        service_level_seconds=cfg.service_level_seconds,
        summarizer=build_summarizer(settings, on_llm_usage),
        monitor=EscalationMonitor(
            cfg.escalation_window_seconds, cfg.escalation_alert_rate, telemetry=telemetry
        ),
        recorder=build_recorder(settings) if cfg.record_on_transfer else None,
        stt=stt,
        record_on_transfer=cfg.record_on_transfer,
        limiter=HandoffRateLimiter.from_settings(settings.security, telemetry),
    )


class TeamsAgentNeedsAcs(ValueError):
    """A Teams (or ACS) agent is configured, but calls can only come through the telephony channel."""


def transfer_target(settings: Settings) -> str:
    """The agent the bot transfers to: ``HANDOFF__AGENT_TEAMS_ID`` as a raw id (Teams or ACS user), which
    only ACS Call Automation can reach, else ``HANDOFF__AGENT_PHONE_NUMBER``. Refused at start-up when ACS
    is not configured: the telephony channel transfers to phone numbers only."""
    cfg, acs = settings.handoff, settings.acs
    if not cfg.agent_teams_id:
        return cfg.agent_phone_number
    raw_id = agent_raw_id(cfg.agent_teams_id)
    if not (acs.connection_string.get_secret_value() or acs.endpoint):
        raise TeamsAgentNeedsAcs(
            "HANDOFF__AGENT_TEAMS_ID is set, but ACS Call Automation is not (ACS__ENDPOINT or "
            "ACS__CONNECTION_STRING): the telephony channel transfers only to phone numbers. Set "
            "HANDOFF__AGENT_PHONE_NUMBER and clear HANDOFF__AGENT_TEAMS_ID, or configure ACS."
        )
    return raw_id
