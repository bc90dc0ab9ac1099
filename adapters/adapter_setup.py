"""One setup for every adapter (Bot Framework over HTTP and streaming, ACS calls): the middleware around each
turn and the error handler that keeps a call alive after any exception."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from botbuilder.core import (
    BotAdapter,
    BotTelemetryClient,
    ConversationState,
    Middleware,
    Storage,
    TelemetryLoggerMiddleware,
    TurnContext,
)
from botbuilder.schema import Activity, ActivityTypes
from botframework.connector import Channels

from adapters.store_outage import StoreOutageResponder, is_store_failure
from config import Settings
from storage.turn_serializer import create_turn_serializer

logger = logging.getLogger(__name__)

ApologyFactory = Callable[[TurnContext], Awaitable[Activity]]
TurnErrorHandler = Callable[[TurnContext, Exception], Awaitable[None]]
AnyAdapter = TypeVar("AnyAdapter", bound=BotAdapter)


async def log_turn_error(turn_context: TurnContext, error: Exception) -> None:
    """For a bot without conversation state (test bots): the failure is logged, nothing is said."""
    conversation = turn_context.activity.conversation
    logger.error(
        "bot turn failed: %s",
        type(error).__name__,
        exc_info=error,
        extra={"call_id": conversation.id if conversation else ""},
    )


@dataclass(frozen=True)
class AdapterSetup:
    """What runs around every turn, whatever brought it: middleware in order, then the turn-error handler."""

    middleware: tuple[Middleware, ...] = ()
    on_turn_error: TurnErrorHandler = log_turn_error


def configure_adapter(adapter: AnyAdapter, setup: AdapterSetup) -> AnyAdapter:
    """The one place an adapter gets its middleware and error handling (used for every adapter)."""
    for middleware in setup.middleware:
        adapter.use(middleware)
    adapter.on_turn_error = setup.on_turn_error
    return adapter


def adapter_setup(
    settings: Settings,
    storage: Storage,
    conversation_state: ConversationState,
    telemetry_client: BotTelemetryClient,
    apology: ApologyFactory,
    store_outage: StoreOutageResponder | None = None,
) -> AdapterSetup:
    """The bot's setup: one turn per conversation at a time (across instances) before anything loads
    state, Bot Framework activity telemetry without personal data, and the apologising error handler."""
    return AdapterSetup(
        middleware=(
            create_turn_serializer(settings, storage),
            TelemetryLoggerMiddleware(telemetry_client, log_personal_information=False),
        ),
        on_turn_error=turn_error_handler(conversation_state, apology, store_outage),
    )


def turn_error_handler(
    conversation_state: ConversationState,
    apology: ApologyFactory,
    store_outage: StoreOutageResponder | None = None,
) -> TurnErrorHandler:
    """The caller hears an apology and the broken dialog stack is cleared and saved, so the next turn starts
    clean; with the state store down, the store-outage reply instead (it needs no store)."""
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

    return on_turn_error
