"""A botbuilder BotAdapter for calls: caller turns in as activities, bot activities out as speech."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity, ConversationReference, ResourceResponse

from adapters.acs.registry import CallRegistry

log = logging.getLogger(__name__)

CHANNEL_ID = "acs"
SERVICE_URL = "urn:contoso:acs"


class CallAdapter(BotAdapter):
    """One adapter per app; a bot activity goes to the bridge the registry holds for its conversation id
    (= call id)."""

    def __init__(self, registry: CallRegistry) -> None:
        super().__init__()  # middleware and error handling: adapters.adapter_setup.configure_adapter
        self.registry = registry

    async def process_call_activity(
        self, activity: Activity, logic: Callable[[TurnContext], Awaitable]
    ) -> None:
        """Run one bot turn for an activity coming from a call."""
        await self.run_pipeline(TurnContext(self, activity), logic)

    async def send_activities(
        self, context: TurnContext, activities: list[Activity]
    ) -> list[ResourceResponse]:
        conversation_id = context.activity.conversation.id if context.activity.conversation else ""
        bridge = self.registry.bridge(conversation_id)
        responses = []
        for activity in activities:
            activity_id = activity.id or str(uuid.uuid4())
            if bridge is None:
                log.warning("activity for a call that has ended dropped", extra={"call_id": conversation_id})
            else:
                bridge.deliver(activity)
            responses.append(ResourceResponse(id=activity_id))
        return responses

    async def update_activity(self, context: TurnContext, activity: Activity) -> ResourceResponse:
        raise NotImplementedError("spoken activities cannot be updated")

    async def delete_activity(self, context: TurnContext, reference: ConversationReference) -> None:
        raise NotImplementedError("spoken activities cannot be deleted")
