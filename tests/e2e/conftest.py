"""End-to-end fixtures: headless Debian Chromium driven by playwright; agent console on a port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web
from botbuilder.core import MemoryStorage

from services.handoff.embedded_handoff import EmbeddedHandoffService
from services.handoff.kpi import EscalationMonitor
from services.handoff.store import HandoffStore
from tests.support.browser import chromium
from tests.support.servers import serve_on_loopback
from web.console_auth import ConsoleAuth
from web.console_routes import add_agent_routes

CONSOLE_USER = "agent"
CONSOLE_PASSWORD = "e2e-console-password"


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    """A fresh headless Chromium per test."""
    async with chromium() as launched:
        yield launched


@dataclass
class ConsoleServer:
    base_url: str
    service: EmbeddedHandoffService


@pytest.fixture
async def agent_console() -> AsyncIterator[ConsoleServer]:
    """The console routes on 127.0.0.1 with the embedded handoff service, in the test's event loop."""
    service = EmbeddedHandoffService(
        HandoffStore(MemoryStorage()),
        target="+14255550199",
        agent_language="en-US",
        monitor=EscalationMonitor(min_calls=1),
    )
    app = web.Application()
    add_agent_routes(app, service, ConsoleAuth(CONSOLE_USER, CONSOLE_PASSWORD))
    runner, base_url = await serve_on_loopback(app)
    try:
        yield ConsoleServer(base_url=base_url, service=service)
    finally:
        await runner.cleanup()
