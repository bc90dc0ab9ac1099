"""The handoff port: turns a call journal into a stored handoff record an agent can read by id."""

from __future__ import annotations

from enum import Enum
from typing import Protocol

from pydantic import BaseModel

from services.handoff.journal import CallJournal


class EscalationReason(str, Enum):
    CALLER_REQUEST = "caller_request"
    FRAUD = "fraud"
    NO_MATCH = "repeated_no_match"
    IDENTIFICATION_FAILED = "identification_failed"
    BACKEND_FAILURE = "backend_failure"
    NO_INPUT = "no_input"
    KNOWLEDGE_GAP = "knowledge_gap"


class Priority(str, Enum):
    NORMAL = "normal"
    HIGH = "high"


class HandoffStatus(str, Enum):
    QUEUED = "queued"
    PICKED_UP = "picked_up"
    TRANSFER_FAILED = "transfer_failed"
    CALLBACK_REQUESTED = "callback_requested"


class Disposition(str, Enum):
    """The agent's wrap-up code for a call they took."""

    RESOLVED = "resolved"
    CALLBACK_NEEDED = "callback_needed"
    FOLLOW_UP_TICKET = "follow_up_ticket"
    FRAUD_CONFIRMED = "fraud_confirmed"
    NO_ACTION = "no_action"


class CallOutcome(str, Enum):
    CONTAINED = "contained"
    TRANSFERRED = "transferred"
    ABANDONED = "abandoned"


HIGH_PRIORITY_REASONS = frozenset({EscalationReason.FRAUD})


def priority_for(reason: EscalationReason) -> Priority:
    """Fraud reports jump the agent queue; everything else waits its turn."""
    return Priority.HIGH if reason in HIGH_PRIORITY_REASONS else Priority.NORMAL


class HandoffError(Exception):
    """Base class for handoff failures."""


class HandoffNotFound(HandoffError):
    """No handoff record with that id."""


class WrapUpRefused(HandoffError):
    """Wrap-up of a call still in progress, or of a call another agent took."""


class CallAlreadyEnded(HandoffError):
    """The caller hung up (and is owed no call-back): there is nobody left to pick up."""


class HandoffTicket(BaseModel):
    """What the dialog needs back: the id carried in the transfer, and the spoken-summary text."""

    handoff_id: str
    reason: EscalationReason
    priority: Priority
    target: str
    """E.164 number or Teams identity of the agent queue."""
    summary: str


class Handoff(Protocol):
    def admit(self, journal: CallJournal) -> None:
        """Count a coming handoff against the flood limits; raises a HandoffError when over them."""
        ...

    async def escalate(self, journal: CallJournal, reason: EscalationReason) -> HandoffTicket:
        """Build, summarise and store the handoff record, publish it to the agent queue."""
        ...

    async def transfer_failed(self, handoff_id: str, message: str) -> None:
        """The transfer did not connect: keep the record, mark it for a callback."""
        ...

    async def call_ended(self, journal: CallJournal, outcome: str) -> None:
        """Post-call record: outcome contained | transferred | abandoned."""
        ...
