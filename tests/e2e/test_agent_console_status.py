"""Agent console status: waiting means holding, ended calls leave the queue, every text is readable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from services.handoff.base import EscalationReason
from services.handoff.journal import CallJournal
from tests.e2e.conftest import CONSOLE_PASSWORD, CONSOLE_USER
from tests.support.contrast import below_aa

TIMEOUT_MS = 5000
SCREENSHOTS = Path("var/screenshots/agent-console")


def call(conversation_id: str, words: str, verified: bool = False) -> CallJournal:
    journal = CallJournal(
        conversation_id=conversation_id,
        caller_ref="caller-test-0142",
        phone_masked="•••0142",
        customer_id="C002" if verified else None,
        customer_name="Ana López" if verified else None,
        verified=verified,
    )
    journal.add_turn("caller", words)
    return journal


async def signed_in_page(browser: Any, base_url: str) -> Any:
    from playwright.async_api import expect

    page = await browser.new_page(viewport={"width": 1280, "height": 1000})
    await page.goto(f"{base_url}/agent/login")
    await page.fill("#username", CONSOLE_USER)
    await page.fill("#password", CONSOLE_PASSWORD)
    await page.click("#sign-in")
    await expect(page.locator("#connection")).to_have_text("live", timeout=TIMEOUT_MS)
    return page


async def test_an_ended_call_leaves_the_queue_and_cannot_be_picked_up(browser, agent_console) -> None:
    from playwright.async_api import expect

    page = await signed_in_page(browser, agent_console.base_url)
    service = agent_console.service
    hung_up = call("status-ended", "I want to speak to a person please")
    ended_ticket = await service.escalate(hung_up, EscalationReason.CALLER_REQUEST)
    holding_ticket = await service.escalate(
        call("status-holding", "someone took money from my account", verified=True), EscalationReason.FRAUD
    )
    ended_card = page.locator(f'li.card[data-id="{ended_ticket.handoff_id}"]')
    holding_card = page.locator(f'li.card[data-id="{holding_ticket.handoff_id}"]')
    await expect(page.locator("#queue").locator(ended_card)).to_be_visible(timeout=TIMEOUT_MS)
    await expect(ended_card.locator(".status")).to_have_text("Waiting")

    await service.call_ended(hung_up, "transferred")

    await expect(page.locator("#ended").locator(ended_card)).to_be_visible(timeout=TIMEOUT_MS)
    assert await page.locator("#queue").locator(ended_card).count() == 0
    await expect(ended_card.locator(".status")).not_to_have_text("Waiting")
    await expect(ended_card.locator(".pickup")).to_be_hidden()
    await expect(page.locator("#queue").locator(holding_card)).to_be_visible()
    await expect(holding_card.locator(".status")).to_have_text("Waiting")
    await expect(holding_card.locator(".pickup")).to_be_enabled()
    # Nor can a stale page or a script take the ended call.
    response = await page.request.post(
        f"{agent_console.base_url}/agent/handoffs/{ended_ticket.handoff_id}/pickup",
        headers={"X-Agent-Console": "1"},
    )
    assert response.status == 409
    assert (await service.get(ended_ticket.handoff_id)).picked_up_by is None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "queue-and-ended.png"), full_page=True)


async def test_picked_up_and_ended_cards_meet_wcag_aa_contrast(browser, agent_console) -> None:
    from playwright.async_api import expect

    page = await signed_in_page(browser, agent_console.base_url)
    service = agent_console.service
    taken = await service.escalate(
        call("contrast-taken", "I lost my card yesterday", verified=True), EscalationReason.CALLER_REQUEST
    )
    hung_up = call("contrast-ended", "this is not working, give me a person")
    await service.escalate(hung_up, EscalationReason.NO_MATCH)
    await service.escalate(call("contrast-fraud", "there are charges I never made"), EscalationReason.FRAUD)
    await service.call_ended(hung_up, "abandoned")
    taken_card = page.locator(f'li.card[data-id="{taken.handoff_id}"]')
    await taken_card.locator(".pickup").click()
    await expect(taken_card.locator(".status")).to_have_text("Picked up by agent", timeout=TIMEOUT_MS)
    await expect(page.locator("#ended li.card")).to_have_count(1, timeout=TIMEOUT_MS)
    for box in await page.locator(".transcript-box summary").all():
        await box.click()

    failing = await below_aa(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "picked-up-and-ended.png"), full_page=True)
    assert failing == []
