"""A botbuilder BotAdapter for calls: caller turns in as activities, bot activities out as speech."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity, ConversationReference, ResourceResponse

if TYPE_CHECKING:
    from adapters.acs.call_bridge import CallBridge

log = logging.getLogger(__name__)

CHANNEL_ID = "acs"
SERVICE_URL = "urn:contoso:acs"


class CallAdapter(BotAdapter):
    """One adapter per app; each call registers its session under its conversation id (= call id)."""

    def __init__(self, on_turn_error: Callable[[TurnContext, Exception], Awaitable] | None = None) -> None:
        super().__init__(on_turn_error or _log_turn_error)
        self.sessions: dict[str, CallBridge] = {}

    async def process_call_activity(
        self, activity: Activity, logic: Callable[[TurnContext], Awaitable]
    ) -> None:
        """Run one bot turn for an activity coming from a call."""
        await self.run_pipeline(TurnContext(self, activity), logic)

    async def send_activities(
        self, context: TurnContext, activities: list[Activity]
    ) -> list[ResourceResponse]:
        conversation_id = context.activity.conversation.id if context.activity.conversation else ""
        session = self.sessions.get(conversation_id)
        responses = []
        for activity in activities:
            activity_id = activity.id or str(uuid.uuid4())
            if session is None:
                log.warning("activity for a call that has ended dropped", extra={"call_id": conversation_id})
            else:
                session.deliver(activity)
            responses.append(ResourceResponse(id=activity_id))
        return responses

    async def update_activity(self, context: TurnContext, activity: Activity) -> ResourceResponse:
        raise NotImplementedError("spoken activities cannot be updated")

    async def delete_activity(self, context: TurnContext, reference: ConversationReference) -> None:
        raise NotImplementedError("spoken activities cannot be deleted")


async def _log_turn_error(context: TurnContext, error: Exception) -> None:
    conversation_id = context.activity.conversation.id if context.activity.conversation else ""
    log.error("bot turn failed: %s", type(error).__name__, extra={"call_id": conversation_id}, exc_info=error)
