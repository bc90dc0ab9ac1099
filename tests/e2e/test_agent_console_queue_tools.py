"""Agent console tools: a live waiting timer that turns red past the service level, and queue filters."""

from __future__ import annotations

from services.handoff.base import EscalationReason
from tests.e2e.test_agent_console_status import SCREENSHOTS, TIMEOUT_MS, call, signed_in_page
from tests.support.contrast import below_aa


async def test_the_waiting_time_counts_up_and_turns_red_past_the_service_level(
    browser, agent_console
) -> None:
    from playwright.async_api import expect

    agent_console.service.service_level_seconds = 2
    page = await signed_in_page(browser, agent_console.base_url)
    ticket = await agent_console.service.escalate(
        call("timer", "can I talk to someone"), EscalationReason.CALLER_REQUEST
    )
    waited = page.locator(f'li.card[data-id="{ticket.handoff_id}"] .waited')
    await expect(waited).to_have_text("0:00", timeout=TIMEOUT_MS)
    await expect(waited).to_have_attribute("data-overdue", "false")
    await expect(waited).to_have_attribute("data-overdue", "true", timeout=TIMEOUT_MS)
    await expect(waited).not_to_have_text("0:00")
    assert await below_aa(page, "li.card") == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "waiting-past-target.png"))

    await page.locator(f'li.card[data-id="{ticket.handoff_id}"] .pickup').click()
    await expect(waited).to_be_hidden(timeout=TIMEOUT_MS)  # nobody is waiting any more


async def test_filters_show_waiting_calls_my_calls_or_ended_calls(browser, agent_console) -> None:
    from playwright.async_api import expect

    service = agent_console.service
    page = await signed_in_page(browser, agent_console.base_url)
    waiting = await service.escalate(
        call("filter-waiting", "I need help with my card"), EscalationReason.FRAUD
    )
    mine = await service.escalate(call("filter-mine", "a person please"), EscalationReason.CALLER_REQUEST)
    gone_journal = call("filter-ended", "hello hello is anyone there")
    gone = await service.escalate(gone_journal, EscalationReason.NO_INPUT)
    await page.locator(f'li.card[data-id="{mine.handoff_id}"] .pickup').click()
    await service.call_ended(gone_journal, "abandoned")
    await expect(page.locator("#ended li.card")).to_have_count(1, timeout=TIMEOUT_MS)
    cards = {name: page.locator(f'li.card[data-id="{t.handoff_id}"]')
             for name, t in (("waiting", waiting), ("mine", mine), ("ended", gone))}  # fmt: skip

    for name in ("waiting", "mine", "ended"):
        await page.click(f'[data-filter="{name}"]')
        await expect(page.locator(f'[data-filter="{name}"]')).to_have_attribute("aria-pressed", "true")
        for other, card in cards.items():
            if other == name:
                await expect(card).to_be_visible()
            else:
                await expect(card).to_be_hidden()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / f"filter-{name}.png"))
    await page.click('[data-filter="all"]')
    for card in cards.values():
        await expect(card).to_be_visible()
