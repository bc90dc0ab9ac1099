"""Per-agent identity: the Easy Auth principal names the agent only when the console is behind Easy Auth."""

from __future__ import annotations

import base64
import json

from aiohttp import web
from botbuilder.core import MemoryStorage

from services.handoff.base import EscalationReason
from services.handoff.embedded_handoff import EmbeddedHandoffService
from services.handoff.store import HandoffStore
from tests.e2e.conftest import CONSOLE_PASSWORD, CONSOLE_USER
from tests.e2e.test_agent_console_status import TIMEOUT_MS, call
from tests.support.servers import serve_on_loopback
from web.console_auth import ConsoleAuth
from web.console_routes import add_agent_routes
from web.easy_auth import PRINCIPAL_HEADER, EasyAuth

ROLE = "ContactCentre.Agent"


def principal(name: str, roles: list[str]) -> str:
    """The header as App Service Authentication sets it (Base64 JSON of the Entra ID claims)."""
    claims = [{"typ": "name", "val": name}, *({"typ": "roles", "val": role} for role in roles)]
    body = {"auth_typ": "aad", "claims": claims, "name_typ": "name", "role_typ": "roles"}
    return base64.b64encode(json.dumps(body).encode()).decode()


async def console(easy_auth: bool) -> tuple[web.AppRunner, str, EmbeddedHandoffService]:
    service = EmbeddedHandoffService(HandoffStore(MemoryStorage()), target="+14255550199")
    app = web.Application()
    add_agent_routes(
        app, service, ConsoleAuth(CONSOLE_USER, CONSOLE_PASSWORD), easy_auth=EasyAuth(easy_auth, ROLE)
    )
    runner, base_url = await serve_on_loopback(app)
    return runner, base_url, service


async def test_behind_easy_auth_the_signed_in_agent_is_named_and_recorded_on_pick_up(browser) -> None:
    from playwright.async_api import expect

    runner, base_url, service = await console(easy_auth=True)
    try:
        context = await browser.new_context(
            extra_http_headers={PRINCIPAL_HEADER: principal("Dana Agent", [ROLE])}
        )
        page = await context.new_page()
        await page.goto(f"{base_url}/agent")
        await expect(page.locator("#agent-name")).to_have_text("Dana Agent", timeout=TIMEOUT_MS)
        await expect(page.locator("#connection")).to_have_text("live", timeout=TIMEOUT_MS)
        ticket = await service.escalate(call("easy-auth", "a person please"), EscalationReason.CALLER_REQUEST)
        card = page.locator(f'li.card[data-id="{ticket.handoff_id}"]')
        await card.locator(".pickup").click()
        await expect(card.locator(".status")).to_have_text("Picked up by Dana Agent", timeout=TIMEOUT_MS)
        assert (await service.get(ticket.handoff_id)).picked_up_by == "Dana Agent"
        await context.close()
    finally:
        await runner.cleanup()


async def test_a_principal_without_the_agent_role_gets_nothing(browser) -> None:
    runner, base_url, service = await console(easy_auth=True)
    try:
        await service.escalate(call("no-role", "a person please"), EscalationReason.CALLER_REQUEST)
        context = await browser.new_context(
            extra_http_headers={PRINCIPAL_HEADER: principal("Eve", ["Reader"])}
        )
        page = await context.new_page()
        await page.goto(f"{base_url}/agent")
        assert page.url.endswith("/agent/login")
        response = await page.request.get(f"{base_url}/agent/handoffs")
        assert response.status == 401
        await context.close()
    finally:
        await runner.cleanup()


async def test_without_easy_auth_a_forged_principal_header_opens_nothing(browser) -> None:
    runner, base_url, service = await console(easy_auth=False)
    try:
        await service.escalate(call("forged", "a person please"), EscalationReason.CALLER_REQUEST)
        forged = {PRINCIPAL_HEADER: principal("Mallory", [ROLE]), "X-Agent-Console": "1"}
        context = await browser.new_context(extra_http_headers=forged)
        page = await context.new_page()
        await page.goto(f"{base_url}/agent")
        assert page.url.endswith("/agent/login")
        for path in ("/agent/handoffs", "/agent/session", "/agent/events"):
            assert (await page.request.get(f"{base_url}{path}")).status == 401, path
        await context.close()
    finally:
        await runner.cleanup()
