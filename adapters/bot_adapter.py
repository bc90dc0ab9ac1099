"""The Bot Framework CloudAdapter and the error handler that keeps a call alive after any exception."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from botbuilder.core import ConversationState, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ActivityTypes
from botframework.connector import Channels

from adapters.channel_auth import RefusingAuthentication
from config import Settings
from services.security.service_urls import ServiceUrlPolicy

logger = logging.getLogger(__name__)

ApologyFactory = Callable[[TurnContext], Awaitable[Activity]]


def create_adapter(
    settings: Settings, conversation_state: ConversationState, apology: ApologyFactory
) -> CloudAdapter:
    """Anonymous when no app id is set (Emulator, local tests); JWT-checked channel auth otherwise."""
    adapter = CloudAdapter(
        RefusingAuthentication(
            ConfigurationBotFrameworkAuthentication(settings.bot_framework_config()),
            ServiceUrlPolicy.from_settings(settings),
        )
    )
    dialog_state = conversation_state.create_property("DialogState")

    async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
        # The exception type and stack go to the log; its message may quote the caller, so the
        # redaction filter on the root logger cleans it before it is written.
        logger.error(
            "unhandled error in turn",
            exc_info=error,
            extra={
                "conversation_id": turn_context.activity.conversation.id
                if turn_context.activity.conversation
                else None
            },
        )
        try:
            await turn_context.send_activity(await apology(turn_context))
            if turn_context.activity.channel_id == Channels.emulator:
                await turn_context.send_activity(
                    Activity(
                        type=ActivityTypes.trace,
                        label="TurnError",
                        name="on_turn_error Trace",
                        value=f"{type(error).__name__}: {error}",
                        value_type="https://www.botframework.com/schemas/error",
                    )
                )
            # Clear only the broken dialog stack: the caller keeps their identity and language.
            await dialog_state.delete(turn_context)
            await conversation_state.save_changes(turn_context, force=True)
        except Exception:
            logger.exception("error handler failed")

    adapter.on_turn_error = on_turn_error
    return adapter
