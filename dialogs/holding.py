"""While a call waits for the agent it was handed to: a question is answered, anything else waits for them.

A fraud report must not be lost by a side question. The caller waiting for the fraud team may still ask
("how long does a new card take?"): the answer comes from the documents, followed by a reminder that
the report is with the team and the caller is still on the line. A new request (a balance, a card to
block), another transfer, a goodbye or a cancel starts nothing: no PIN prompt while a transfer is under
way, no second handoff that would queue the call again at a lower priority, no hang-up that would drop
the report. It is left to the agent, who sees the caller's words in the call journal.
"""

from __future__ import annotations

from dialogs.call_session import CallSession
from services.handoff.base import EscalationReason

HOLDING = "holding"
"""KnowledgeDialog option: the call is waiting for an agent, so a decline offers no (second) agent."""


def is_holding(session: CallSession) -> bool:
    """The call has been handed to an agent (handoff emitted, not failed) and is still up."""
    return session.pending_handoff_id is not None and not session.ended


def _team(session: CallSession) -> str:
    return "fraud" if session.pending_handoff_reason == EscalationReason.FRAUD.value else "agent"


def reminder(session: CallSession) -> str:
    """The catalogue key: still on the line for the fraud team (or an agent)."""
    return f"holding.{_team(session)}"


def deferral(session: CallSession) -> str:
    """The catalogue key: the team that is about to join will help with that new request."""
    return f"holding.later.{_team(session)}"
