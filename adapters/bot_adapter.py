"""The Bot Framework CloudAdapter and the error handler that keeps a call alive after any exception."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from botbuilder.core import ConversationState, TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botbuilder.schema import Activity, ActivityTypes
from botframework.connector import Channels

from adapters.channel_auth import RefusingAuthentication
from adapters.store_outage import StoreOutageResponder, is_store_failure
from adapters.streaming_channel import VoiceCloudAdapter
from config import Settings
from core.security.service_urls import ServiceUrlPolicy

logger = logging.getLogger(__name__)

ApologyFactory = Callable[[TurnContext], Awaitable[Activity]]


def create_adapter(
    settings: Settings,
    conversation_state: ConversationState,
    apology: ApologyFactory,
    store_outage: StoreOutageResponder | None = None,
) -> CloudAdapter:
    """Anonymous when no app id is set (Emulator, local tests); JWT-checked channel auth otherwise.
    Serves both transports: activities POSTed over HTTP and the streaming WebSocket (telephony channel)."""
    credentials = ConfigurationServiceClientCredentialFactory(settings.bot_framework_config())
    adapter = VoiceCloudAdapter(
        RefusingAuthentication(
            ConfigurationBotFrameworkAuthentication(
                settings.bot_framework_config(), credentials_factory=credentials
            ),
            ServiceUrlPolicy.from_settings(settings),
        ),
        credentials,
    )
    dialog_state = conversation_state.create_property("DialogState")

    async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
        if store_outage is not None and is_store_failure(error):
            # The apology below reads and writes state: with the store down it would fail in turn.
            try:
                await store_outage.respond(turn_context, error)
            except Exception:
                logger.exception("store-outage reply failed")
            return
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
        except Exception as handler_error:
            if store_outage is not None and is_store_failure(handler_error):
                await on_turn_error(turn_context, handler_error)  # the store went down under the apology
                return
            logger.exception("error handler failed")

    adapter.on_turn_error = on_turn_error
    return adapter
