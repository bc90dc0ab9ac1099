"""Answered phone calls whose media stream never connects: hang them up so they stop holding capacity.

Without this, an answer whose media WebSocket never arrives (ACS could not reach the bot, the socket was
refused) would stay in the registry for ever, leaving the caller in silence and counting against
``VOICE__MAX_CALLS`` until the instance refused every new call."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from adapters.acs.call_control import AcsCallControl, CallControlError
from adapters.acs.media_ws import ACS_CLIENT_KEY, REGISTRY_KEY, services_of
from voice.settings import voice_settings_from

log = logging.getLogger(__name__)


async def hang_up_unconnected_calls(app: web.Application) -> int:
    """One sweep: hang up (best effort) and forget every call past the media-connect deadline."""
    registry = app[REGISTRY_KEY]
    timeout = voice_settings_from(services_of(app).settings).media_connect_timeout_seconds
    stale = registry.unconnected(timeout)
    client = app.get(ACS_CLIENT_KEY)
    for record in stale:
        registry.remove(record.call_id)
        log.error(
            "media stream never connected within %.0f s: hanging up",
            timeout,
            extra={"call_id": record.call_id},
        )
        if client is not None and record.connection_id:
            try:
                await AcsCallControl(client, record.connection_id).hang_up()
            except CallControlError as exc:
                log.error("%s", exc, extra={"call_id": record.call_id})
    return len(stale)


async def _sweep_forever(app: web.Application, every_seconds: float) -> None:
    while True:
        await asyncio.sleep(every_seconds)
        try:
            await hang_up_unconnected_calls(app)
        except Exception:  # the sweeper must outlive any one bad record
            log.exception("unconnected-call sweep failed")


async def unconnected_call_sweeper(app: web.Application) -> AsyncIterator[None]:
    """aiohttp cleanup context: sweep a few times per deadline while the app runs."""
    timeout = voice_settings_from(services_of(app).settings).media_connect_timeout_seconds
    task = asyncio.create_task(_sweep_forever(app, max(0.05, min(5.0, timeout / 3))))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
