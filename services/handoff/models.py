"""The stored handoff record and post-call record, built from a call journal without personal values."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import BaseModel, Field

from services.handoff.base import (
    CallOutcome,
    Disposition,
    EscalationReason,
    HandoffStatus,
    Priority,
    priority_for,
)
from services.handoff.journal import CallJournal, ToldFact

Redactor = Callable[[str], str]

TRANSCRIPT_TURNS = 8
"""How many of the last turns the agent sees."""

_DIGIT = re.compile(r"\d")


def _fallback_redact(text: str) -> str:
    """Used only when core.privacy.redaction is missing: hides every digit."""
    return _DIGIT.sub("#", text)


def default_redactor() -> Redactor:
    """The project's redaction function, or a digits-masking stand-in when it is not installed."""
    try:
        from core.privacy.redaction import redact
    except ImportError:  # the privacy package is optional at import time; never store raw digits
        return _fallback_redact
    return redact


def mask_phone(phone: str) -> str:
    """Keep only the last four digits: "+14255550123" -> "•••0123"."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < 4:
        return ""
    return "•••" + digits[-4:]


def _now() -> datetime:
    return datetime.now(UTC)


class CallerIdentity(BaseModel):
    verified: bool = False
    customer_id: str | None = None
    """Only when verified."""
    name: str | None = None
    """Only when verified."""
    phone_masked: str = ""


class IntentView(BaseModel):
    intent: str
    score: float
    text: str


class LookupView(BaseModel):
    operation: str
    data_category: str
    at: datetime


class TurnView(BaseModel):
    speaker: str
    text: str
    at: datetime
    translation: str = ""
    """The line in the agent's language by the summary model (Azure OpenAI), when one is configured."""


class PostCall(BaseModel):
    outcome: CallOutcome
    duration_seconds: float
    intents: list[str] = Field(default_factory=list)
    recording_id: str | None = None
    recording_path: str | None = None
    transcript: str | None = None
    """Redacted post-call transcript from the STT, for recorded calls."""
    ended_at: datetime = Field(default_factory=_now)
    disposition: Disposition | None = None
    """The wrap-up code of the agent who took the call."""
    agent_note: str = ""
    """The agent's wrap-up note, redacted like the transcripts."""
    wrapped_up_by: str | None = None


class PostCallRecord(PostCall):
    """Stored for every call (handed off or not) under ``handoff/call/<conversation_id>``."""

    conversation_id: str
    language: str
    handoff_id: str | None = None
    started_at: datetime


class HandoffRecord(BaseModel):
    """Everything the agent who picks up should know, so the caller never repeats anything."""

    handoff_id: str
    conversation_id: str
    caller: CallerIdentity
    language: str
    reason: EscalationReason
    priority: Priority
    target: str
    intents: list[IntentView] = Field(default_factory=list)
    entities: dict[str, str] = Field(default_factory=dict)
    crm_lookups: list[LookupView] = Field(default_factory=list)
    told: list[ToldFact] = Field(default_factory=list)
    """What the bot already told the caller (a balance read, the open ticket of the greeting)."""
    dialog_step: str = ""
    no_match_count: int = 0
    transcript: list[TurnView] = Field(default_factory=list)
    summary: str = ""
    summary_language: str = ""
    status: HandoffStatus = HandoffStatus.QUEUED
    status_message: str = ""
    picked_up_by: str | None = None
    recording_id: str | None = None
    call_started_at: datetime
    created_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)
    post_call: PostCall | None = None

    @classmethod
    def from_journal(
        cls,
        handoff_id: str,
        journal: CallJournal,
        reason: EscalationReason,
        target: str,
        redact: Redactor,
        turns: int = TRANSCRIPT_TURNS,
    ) -> HandoffRecord:
        """Copy what the agent needs out of the journal, redacting every free-text value."""
        verified = journal.verified
        caller = CallerIdentity(
            verified=verified,
            customer_id=journal.customer_id if verified else None,
            name=journal.customer_name if verified else None,
            phone_masked=journal.phone_masked,
        )
        return cls(
            handoff_id=handoff_id,
            conversation_id=journal.conversation_id,
            caller=caller,
            language=journal.language,
            reason=reason,
            priority=priority_for(reason),
            target=target,
            intents=[
                IntentView(intent=i.intent, score=round(i.score, 3), text=redact(i.text))
                for i in journal.intents
            ],
            entities={key: redact(str(value)) for key, value in journal.entities.items()},
            crm_lookups=[
                LookupView(operation=c.operation, data_category=c.data_category, at=c.at)
                for c in journal.crm_lookups
            ],
            told=[
                ToldFact(kind=t.kind, values={k: redact(v) for k, v in t.values.items()}, at=t.at)
                for t in journal.told
            ],
            dialog_step=journal.dialog_step,
            no_match_count=journal.no_match_count,
            transcript=[
                TurnView(speaker=t.speaker, text=redact(t.text), at=t.at) for t in journal.turns[-turns:]
            ],
            call_started_at=journal.started_at,
        )

    def touch(self) -> None:
        self.updated_at = _now()

    @property
    def ended(self) -> bool:
        """The call is over and nothing is owed to the caller: it belongs in the history, not the queue."""
        return self.post_call is not None and self.status is not HandoffStatus.CALLBACK_REQUESTED

    @property
    def waiting(self) -> bool:
        """A caller still waits for an agent: on the line and not picked up, or owed a callback."""
        if self.status in (HandoffStatus.CALLBACK_REQUESTED, HandoffStatus.TRANSFER_FAILED):
            return True
        return self.status is HandoffStatus.QUEUED and self.post_call is None
