"""Registers the call routes: Event Grid webhook, Call Automation events, media WebSocket, softphone."""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from adapters.acs.call_adapter import CallAdapter
from adapters.acs.callback_auth import CALLBACK_AUTH_KEY, AcsCallbackVerifier
from adapters.acs.events import call_events
from adapters.acs.incoming import incoming_call
from adapters.acs.media_ws import (
    ACS_CLIENT_KEY,
    ADAPTER_KEY,
    REGISTRY_KEY,
    close_all_calls,
    media_ws,
    services_of,
)
from adapters.acs.registry import CallRegistry
from adapters.acs.unconnected_calls import unconnected_call_sweeper
from adapters.adapter_setup import AdapterSetup, configure_adapter
from core.security.http_hardening import PAGE_HEADERS
from services.call_automation import call_automation_client
from voice.settings import softphone_on, voice_settings_from
from web.softphone_demo import demo_callers_handler

log = logging.getLogger(__name__)

SOFTPHONE_DIR = Path(__file__).resolve().parents[2] / "web" / "softphone"


async def softphone_page(request: web.Request) -> web.FileResponse:
    if not softphone_on(services_of(request.app).settings):
        raise web.HTTPNotFound()
    return web.FileResponse(SOFTPHONE_DIR / "index.html", headers=PAGE_HEADERS)


def _softphone_settings(app: web.Application) -> Any:
    """The settings, or None (demo callers hidden) when the softphone itself is off."""
    settings = services_of(app).settings
    return settings if softphone_on(settings) else None


def _acs_client_on_startup(app: web.Application) -> None:
    """The async Call Automation client, unless a test put its own under ``ACS_CLIENT_KEY``."""
    if ACS_CLIENT_KEY in app:
        return
    app[ACS_CLIENT_KEY] = call_automation_client(services_of(app).settings.acs)
    if app[ACS_CLIENT_KEY] is None:
        log.info(
            "neither ACS__CONNECTION_STRING nor ACS__ENDPOINT set: phone calls disabled, softphone available"
        )


def add_call_routes(app: web.Application, setup: AdapterSetup) -> None:
    """Add ``/api/calls/incoming``, ``/api/calls/events``, ``/ws/media``, ``/softphone`` (+ its assets).
    Call turns run with ``setup``, the bot's adapter setup: the same middleware and spoken apology as
    Bot Framework turns."""
    app[REGISTRY_KEY] = registry = CallRegistry()
    app[ADAPTER_KEY] = configure_adapter(CallAdapter(registry), setup)
    acs = services_of(app).settings.acs
    app[CALLBACK_AUTH_KEY] = AcsCallbackVerifier(acs.resource_id, acs.openid_configuration_url)
    app.router.add_post("/api/calls/incoming", incoming_call)
    app.router.add_post("/api/calls/events", call_events)
    app.router.add_get("/ws/media", media_ws)
    app.router.add_get("/softphone", softphone_page)
    app.router.add_get("/softphone/demo-callers", demo_callers_handler(_softphone_settings))
    app.router.add_static("/softphone/static", SOFTPHONE_DIR, show_index=False)

    async def startup(app: web.Application) -> None:
        _acs_client_on_startup(app)
        if voice_settings_from(services_of(app).settings).gc_freeze_on_startup:
            gc.collect()
            gc.freeze()

    async def shutdown(app: web.Application) -> None:
        await close_all_calls(app)
        client = app.get(ACS_CLIENT_KEY)
        if client is not None and hasattr(client, "close"):
            await client.close()

    app.on_startup.append(startup)
    app.cleanup_ctx.append(unconnected_call_sweeper)
    app.on_shutdown.append(shutdown)
