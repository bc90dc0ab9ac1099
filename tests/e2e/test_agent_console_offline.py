"""Server gone: the console says so in a banner, with no uncaught "Failed to fetch" errors."""

from __future__ import annotations

from aiohttp import web
from botbuilder.core import MemoryStorage

from services.handoff.embedded_handoff import EmbeddedHandoffService
from services.handoff.store import HandoffStore
from tests.e2e.conftest import CONSOLE_PASSWORD, CONSOLE_USER
from tests.e2e.test_agent_console_status import SCREENSHOTS, TIMEOUT_MS, signed_in_page
from tests.support.servers import serve_on_loopback
from web.console_auth import ConsoleAuth
from web.console_routes import add_agent_routes


async def test_a_vanished_server_shows_a_banner_and_no_page_errors(browser) -> None:
    from playwright.async_api import expect

    service = EmbeddedHandoffService(HandoffStore(MemoryStorage()), target="+14255550199")
    app = web.Application()
    add_agent_routes(app, service, ConsoleAuth(CONSOLE_USER, CONSOLE_PASSWORD))
    runner, base_url = await serve_on_loopback(app)
    stopped = False
    try:
        page = await signed_in_page(browser, base_url)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await expect(page.locator("#offline")).to_be_hidden()
        await runner.cleanup()
        stopped = True
        await expect(page.locator("#offline")).to_be_visible(timeout=TIMEOUT_MS)
        await expect(page.locator("#connection")).to_have_text("reconnecting…")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "server-gone.png"))
        await page.wait_for_timeout(2500)  # the EventSource retries (retry: 2000) must not throw either
        assert errors == []
    finally:
        if not stopped:
            await runner.cleanup()
