"""Wiring only: settings -> services -> bot -> adapter -> routes. Run: `python app.py`."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from botbuilder.core import ConversationState, Storage, TurnContext, UserState
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from recognizers.factory import create_recognizer

from adapters.bot_adapter import create_adapter
from adapters.messages_endpoint import messages_handler
from bots.voice_bot import VoiceBot
from config import Settings, get_settings
from dialogs.call_session import SessionAccessor
from dialogs.deps import DialogDeps
from dialogs.main_dialog import MainDialog
from dialogs.replies import Replies
from locales.catalogue import Catalogue
from recognizers.base import CallerRecognizer
from services.crm.base import Crm
from services.crm.factory import create_crm
from services.handoff.console_auth import ConsoleAuth
from services.handoff.embedded_handoff import EmbeddedHandoffService
from services.handoff.factory import build_handoff
from services.handoff.routes import add_agent_routes
from services.knowledge.base import Knowledge
from services.knowledge.factory import create_knowledge
from storage.factory import close_storage, create_storage

logger = logging.getLogger(__name__)

SERVICES_KEY = web.AppKey("services", object)


@dataclass
class Services:
    """Everything built from settings, shared by the routes (reachable as ``app["services"]``)."""

    settings: Settings
    storage: Storage
    conversation_state: ConversationState
    user_state: UserState
    crm: Crm
    recognizer: CallerRecognizer
    knowledge: Knowledge | None
    handoff: EmbeddedHandoffService
    replies: Replies
    bot: VoiceBot
    adapter: CloudAdapter
    stt: Any = None
    tts: Any = None

    async def close(self) -> None:
        await self.crm.close()
        await close_storage(self.storage)


async def build_services(settings: Settings, recognizer: CallerRecognizer | None = None) -> Services:
    """Build every backend from settings; a ready ``recognizer`` may be passed in (tests share one)."""
    storage = create_storage(settings)
    conversation_state, user_state = ConversationState(storage), UserState(storage)
    replies = Replies(
        Catalogue.load(default_locale=settings.default_locale),
        {locale: settings.voice_for(locale) for locale in settings.supported_locales},
    )
    crm = create_crm(settings)
    recognizer = recognizer or create_recognizer(settings)
    knowledge = create_knowledge(settings)
    # Train the intent model and load (or build) the knowledge index before the first call.
    await asyncio.gather(recognizer.warm_up(), knowledge.warm_up())
    handoff = build_handoff(settings, storage)
    deps = DialogDeps(
        replies=replies,
        crm=crm,
        sessions=SessionAccessor(conversation_state),
        recognizer=recognizer,
        routing=settings.routing,
        handoff=handoff,
        knowledge=knowledge,
        recording_enabled=settings.handoff.record_on_transfer,
    )
    bot = VoiceBot(deps, MainDialog(deps), conversation_state, user_state)

    async def apology(turn_context: TurnContext) -> Activity:
        session = await deps.sessions.get(turn_context)
        return replies.say(session.locale, "error.apology")

    adapter = create_adapter(settings, conversation_state, apology)
    return Services(
        settings,
        storage,
        conversation_state,
        user_state,
        crm,
        recognizer,
        knowledge,
        handoff,
        replies,
        bot,
        adapter,
    )


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "up"})


async def readyz(request: web.Request) -> web.Response:
    services: Services = request.app[SERVICES_KEY]
    checks: dict[str, bool] = {}
    for name, backend in (("crm", services.crm), ("storage", services.storage)):
        ping = getattr(backend, "ping", None)
        try:
            checks[name] = bool(await ping()) if ping else True
        except Exception:
            checks[name] = False
    ready = all(checks.values())
    return web.json_response({"ready": ready, "checks": checks}, status=200 if ready else 503)


async def create_app(
    settings: Settings | None = None, recognizer: CallerRecognizer | None = None
) -> web.Application:
    settings = settings or get_settings()
    services = await build_services(settings, recognizer)
    app = web.Application(client_max_size=settings.max_body_bytes)
    app[SERVICES_KEY] = services
    handler = messages_handler(services.adapter, services.bot)
    app.router.add_post("/api/messages", handler)
    app.router.add_get("/api/messages", handler)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    add_agent_routes(
        app,
        services.handoff,
        ConsoleAuth.from_settings(
            settings.handoff.console_user, settings.handoff.console_password.get_secret_value()
        ),
    )

    async def close_services(_: web.Application) -> None:
        await services.close()

    app.on_cleanup.append(close_services)
    return app


def main() -> None:
    settings = get_settings()
    logging.basicConfig(level=settings.telemetry.log_level)
    print(
        f"Contoso voicebot on http://localhost:{settings.port}/api/messages "
        f"(agent console: http://localhost:{settings.port}/agent)",
        flush=True,
    )
    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None)


if __name__ == "__main__":
    main()
