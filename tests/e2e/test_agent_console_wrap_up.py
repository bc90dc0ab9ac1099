"""Wrap-up: the agent who took a call gives a disposition code and a note, stored on the post-call record."""

from __future__ import annotations

from services.handoff.base import Disposition, EscalationReason
from tests.e2e.test_agent_console_status import SCREENSHOTS, TIMEOUT_MS, call, signed_in_page
from tests.support.contrast import below_aa


async def test_after_the_call_the_agent_saves_a_disposition_and_a_note(browser, agent_console) -> None:
    from playwright.async_api import expect

    service = agent_console.service
    page = await signed_in_page(browser, agent_console.base_url)
    journal = call("wrap-up", "there is a charge I do not recognise")
    ticket = await service.escalate(journal, EscalationReason.FRAUD)
    card = page.locator(f'li.card[data-id="{ticket.handoff_id}"]')
    await expect(card.locator(".wrap-up")).to_be_hidden(timeout=TIMEOUT_MS)
    # Not before the call ended.
    early = await page.request.post(
        f"{agent_console.base_url}/agent/handoffs/{ticket.handoff_id}/wrapup",
        headers={"X-Agent-Console": "1"},
        data={"disposition": "resolved", "note": ""},
    )
    assert early.status == 409
    await card.locator(".pickup").click()
    await expect(card.locator(".status")).to_have_text("Picked up by agent", timeout=TIMEOUT_MS)
    await service.call_ended(journal, "transferred")

    form = card.locator(".wrap-up")
    await expect(form).to_be_visible(timeout=TIMEOUT_MS)
    await form.locator("select").select_option(label="Fraud confirmed")
    await form.locator("textarea").fill("Card 4111 1111 1111 1111 cancelled, new card ordered")
    assert await below_aa(page, f'li.card[data-id="{ticket.handoff_id}"]') == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "wrap-up.png"), full_page=True)
    await form.locator("button").click()

    await expect(form).to_be_hidden(timeout=TIMEOUT_MS)
    await expect(card.locator(".status")).to_contain_text("Fraud confirmed")
    stored = await service.store.get_call("wrap-up")
    assert stored is not None and stored.disposition is Disposition.FRAUD_CONFIRMED
    assert stored.wrapped_up_by == "agent" and "new card ordered" in stored.agent_note
    assert "4111" not in stored.agent_note
    bad = await page.request.post(
        f"{agent_console.base_url}/agent/handoffs/{ticket.handoff_id}/wrapup",
        headers={"X-Agent-Console": "1"},
        data={"disposition": "made_up", "note": ""},
    )
    assert bad.status == 400
