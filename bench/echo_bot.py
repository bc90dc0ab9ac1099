"""BotBuilder-Samples' 02.echo-bot (Python) as the baseline of bench.http_turns: the sample's bot, error
handler and app, served by the same botbuilder CloudAdapter on aiohttp as this bot (local mode, no app id).
"""

from __future__ import annotations

import logging

from aiohttp import web
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.core.integration import aiohttp_error_middleware
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import ChannelAccount

log = logging.getLogger(__name__)


class EchoBot(ActivityHandler):
    """The sample's bot: a welcome for whoever joins, then "Echo: <text>" for every message."""

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        for member in members_added:
            if member.id != turn_context.activity.recipient.id:
                await turn_context.send_activity("Hello and welcome!")

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(MessageFactory.text(f"Echo: {turn_context.activity.text}"))


class _SampleConfig:
    """The sample's DefaultConfig with no app id: anonymous, as the bench's voicebot runs."""

    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""


def create_echo_app() -> web.Application:
    """The sample's app.py: one CloudAdapter, its on_error, POST /api/messages."""
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_SampleConfig()))

    async def on_error(context: TurnContext, error: Exception) -> None:
        log.error("on_turn_error", exc_info=error)
        await context.send_activity("The bot encountered an error or bug.")

    adapter.on_turn_error = on_error
    bot = EchoBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        return await adapter.process(request, bot) or web.Response(status=201)

    app = web.Application(middlewares=[aiohttp_error_middleware])
    app.router.add_post("/api/messages", messages)
    return app
