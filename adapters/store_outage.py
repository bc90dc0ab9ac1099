"""What a caller hears when the state store fails mid-call: an apology and a transfer (or a goodbye), built
only from what needs no store (the activity, the turn's cached session, settings), and why, in telemetry."""

from __future__ import annotations

import logging
import uuid

from botbuilder.core import BotTelemetryClient, TurnContext

from adapters.telephony import handoff_event, handoff_failed, hang_up
from dialogs.call_session import SessionAccessor
from dialogs.replies import Replies
from storage.items import StorageUnavailableError

log = logging.getLogger(__name__)

REASON = "state_store_unavailable"
EVENT = "StateStoreUnavailable"


def is_store_failure(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) is the state store failing or timing out."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, StorageUnavailableError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


class StoreOutageResponder:
    """Answers a turn that failed on the state store without touching the store again."""

    def __init__(
        self, replies: Replies, agent_number: str, telemetry: BotTelemetryClient | None = None
    ) -> None:
        self.replies = replies
        self.agent_number = agent_number
        self.telemetry = telemetry

    def _locale(self, turn_context: TurnContext) -> str | None:
        cached = SessionAccessor.cached(turn_context)
        if cached is not None:
            return cached.locale
        return turn_context.activity.locale or None

    async def respond(self, turn_context: TurnContext, error: BaseException) -> None:
        activity = turn_context.activity
        call_id = activity.conversation.id if activity.conversation else ""
        # A transfer already failed (or there is nobody to transfer to): say goodbye rather than loop.
        action = "goodbye" if handoff_failed(activity) is not None or not self.agent_number else "transfer"
        log.error(
            "state store unavailable: %s; caller gets the outage %s",
            type(error).__name__,
            action,
            extra={"event": REASON, "call_id": call_id, "action": action},
        )
        if self.telemetry is not None:
            self.telemetry.track_event(
                EVENT, {"conversationId": call_id, "error": type(error).__name__, "action": action}
            )
        locale = self._locale(turn_context)
        if action == "goodbye":
            await turn_context.send_activity(self.replies.final(locale, "error.store_goodbye"))
            await turn_context.send_activity(hang_up())
            return
        await turn_context.send_activity(self.replies.final(locale, "error.store_transfer"))
        handoff_id = f"outage-{uuid.uuid4().hex[:12]}"
        await turn_context.send_activity(
            handoff_event(self.agent_number, handoff_id, REASON, {"handoffId": handoff_id, "reason": REASON})
        )
