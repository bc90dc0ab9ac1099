"""Agent console in headless Chromium: a live escalation appears with its summary; no data without sign-in."""

from __future__ import annotations

from services.handoff.base import EscalationReason
from services.handoff.journal import CallJournal, CrmLookup, DetectedIntent
from tests.e2e.conftest import CONSOLE_PASSWORD, CONSOLE_USER
from tests.support.leaks import reveals

TIMEOUT_MS = 5000


def escalating_call() -> CallJournal:
    """Scripted call: a verified caller reports a lost card, the bot blocks it, then asks for a human."""
    journal = CallJournal(
        conversation_id="e2e-call-1",
        caller_ref="caller-test-0123",
        phone_masked="•••0123",
        customer_id="C001",
        customer_name="Carlos Rivera",
        verified=True,
        dialog_step="BlockCardDialog",
    )
    journal.add_turn("caller", "I lost my credit card and I need to block it")
    journal.intents.append(
        DetectedIntent(intent="BlockCard", score=0.93, text="I lost my credit card and I need to block it")
    )
    journal.crm_lookups += [CrmLookup(operation="get_cards", data_category="cards"),
                            CrmLookup(operation="block_card", data_category="cards")]  # fmt: skip
    journal.entities["block_reference"] = "BLK123456"
    journal.add_turn("bot", "Your credit card is blocked. Your reference is BLK123456.")
    journal.add_turn("caller", "someone used my card 4111 1111 1111 1111, I want a person")
    journal.intents.append(
        DetectedIntent(intent="ReportFraud", score=0.81, text="someone used my card [CARD]")
    )
    return journal


async def test_unauthenticated_visitor_gets_no_data(browser, agent_console) -> None:
    ticket = await agent_console.service.escalate(escalating_call(), EscalationReason.FRAUD)
    page = await browser.new_page()
    await page.goto(f"{agent_console.base_url}/agent")
    assert page.url.endswith("/agent/login")
    assert "Carlos" not in await page.content()
    for path in (f"/agent/handoffs/{ticket.handoff_id}", "/agent/handoffs", "/agent/events"):
        response = await page.request.get(f"{agent_console.base_url}{path}")
        assert response.status == 401
        assert "Carlos" not in await response.text() and "BLK123456" not in await response.text()
    await page.fill("#username", CONSOLE_USER)
    await page.fill("#password", "not the password")
    await page.click("#sign-in")
    await page.wait_for_selector("#login-error", state="visible", timeout=TIMEOUT_MS)
    assert page.url.endswith("/agent/login?failed=1")


async def test_escalation_appears_live_in_the_open_console(browser, agent_console) -> None:
    from playwright.async_api import expect

    page = await browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{agent_console.base_url}/agent/login")
    await page.fill("#username", CONSOLE_USER)
    await page.fill("#password", CONSOLE_PASSWORD)
    await page.click("#sign-in")
    await expect(page.locator("#connection")).to_have_text("live", timeout=TIMEOUT_MS)
    await expect(page.locator("#empty")).to_be_visible()
    page_url = page.url

    ticket = await agent_console.service.escalate(escalating_call(), EscalationReason.FRAUD)

    card = page.locator(f'li.card[data-id="{ticket.handoff_id}"]')
    await expect(card).to_be_visible(timeout=TIMEOUT_MS)
    assert page.url == page_url  # no reload
    await expect(card.locator(".summary")).to_have_text(ticket.summary)
    assert "Carlos Rivera (verified)" in ticket.summary and "I lost my credit card" in ticket.summary
    await expect(card.locator(".priority")).to_have_text("High")
    await expect(card.locator(".reason")).to_have_text("Fraud report")
    await expect(card.locator(".caller")).to_contain_text("Carlos Rivera · C001 · Verified")
    await expect(card.locator(".caller")).to_contain_text("•••0123")
    await expect(card.locator(".wanted")).to_have_text("block a cardreport fraud")
    await expect(card.locator(".done")).to_contain_text("Blocked the card")
    await expect(card.locator(".details")).to_have_text("Block reference: BLK123456")
    await card.locator(".transcript-box summary").click()
    await expect(card.locator(".transcript")).to_contain_text(
        "Caller: someone used my card [CARD], I want a person"
    )
    assert not reveals(await page.content(), "4111")

    await card.locator(".pickup").click()
    await expect(card.locator(".status")).to_have_text(f"Picked up by {CONSOLE_USER}", timeout=TIMEOUT_MS)
    await expect(card.locator(".pickup")).to_be_hidden()
    assert (await agent_console.service.get(ticket.handoff_id)).picked_up_by == CONSOLE_USER

    await agent_console.service.transfer_failed(ticket.handoff_id, "no answer")
    await expect(card.locator(".status")).to_have_text("Call back", timeout=TIMEOUT_MS)
    assert errors == []
