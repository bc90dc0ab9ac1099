"""A Spanish call for an English-speaking agent: the transcript in English where that is honest (the bot's
own catalogue sentences; a model's translation when Azure OpenAI summarises), the caller's own words always
there, untranslated words labelled with what the bot understood; the console and its sign-in page at 375 and
1280 px with axe-core."""

from __future__ import annotations

from typing import Any

from locales.catalogue import Catalogue
from services.handoff.base import EscalationReason
from services.handoff.journal import CallJournal, DetectedIntent
from tests.e2e.conftest import CONSOLE_PASSWORD, CONSOLE_USER
from tests.e2e.test_agent_console_status import TIMEOUT_MS
from tests.support.page_checks import WIDTHS, axe_violations, horizontal_overflow, screenshot, too_wide

SPANISH = Catalogue.load()


def spanish_card_call() -> CallJournal:
    journal = CallJournal(conversation_id="translate-es", caller_phone="+5215555550177", language="es-MX")
    journal.add_turn("bot", SPANISH.text("es-MX", "greeting.unknown"))
    journal.add_turn("caller", "perdí mi tarjeta de crédito")
    journal.intents.append(DetectedIntent(intent="BlockCard", score=0.62, text="perdí mi tarjeta de crédito"))
    journal.add_turn(
        "bot", SPANISH.text("es-MX", "confirm.intent", action=SPANISH.text("es-MX", "action.BlockCard"))
    )
    journal.add_turn("caller", "mejor con una persona")
    return journal


async def _signed_in(browser: Any, base_url: str, width: int) -> Any:
    from playwright.async_api import expect

    context = await browser.new_context(viewport={"width": width, "height": 1000}, bypass_csp=True)
    page = await context.new_page()
    await page.goto(f"{base_url}/agent/login")
    await page.fill("#username", CONSOLE_USER)
    await page.fill("#password", CONSOLE_PASSWORD)
    await page.click("#sign-in")
    await expect(page.locator("#connection")).to_have_text("live", timeout=TIMEOUT_MS)
    return page


async def test_a_spanish_transcript_reads_in_english_with_the_callers_words_kept(
    browser, agent_console
) -> None:
    from playwright.async_api import expect

    ticket = await agent_console.service.escalate(spanish_card_call(), EscalationReason.CALLER_REQUEST)
    for width in WIDTHS:
        page = await _signed_in(browser, agent_console.base_url, width)
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        card = page.locator(f'li.card[data-id="{ticket.handoff_id}"]')
        await expect(card).to_be_visible(timeout=TIMEOUT_MS)
        await card.locator(".transcript-box summary").click()
        lines = await card.locator(".transcript li").all_inner_texts()
        assert lines[0].splitlines() == [
            "Bot: " + SPANISH.text("en-US", "greeting.unknown"),
            "Said in Spanish: “" + SPANISH.text("es-MX", "greeting.unknown") + "”",
        ]
        # no model offline: the caller's words as said, with what the bot understood from them
        assert lines[1] == "Caller: perdí mi tarjeta de crédito (not translated; understood as: block a card)"
        assert lines[2].splitlines()[0] == "Bot: Just to be sure: do you want to block a card?"
        assert lines[3] == "Caller: mejor con una persona (not translated)"
        assert await horizontal_overflow(page) == 0, f"scroll at {width} px: {await too_wide(page)}"
        await screenshot(page, "agent-console", f"translated-transcript-{width}px")
        assert await axe_violations(page) == []
        assert errors == []
        await page.context.close()


async def test_the_sign_in_page_at_phone_and_desktop_widths(browser, agent_console) -> None:
    for width in WIDTHS:
        context = await browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True)
        page = await context.new_page()
        await page.goto(f"{agent_console.base_url}/agent/login")
        assert await horizontal_overflow(page) == 0, f"scroll at {width} px: {await too_wide(page)}"
        assert await axe_violations(page) == []
        await screenshot(page, "agent-console", f"sign-in-{width}px")
        await context.close()
