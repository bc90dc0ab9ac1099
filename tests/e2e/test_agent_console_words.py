"""Agent console words: what the caller wanted, how they were verified and their language, in plain words."""

from __future__ import annotations

from services.handoff.base import EscalationReason
from services.handoff.journal import CallJournal, CrmLookup, DetectedIntent
from tests.e2e.test_agent_console_status import SCREENSHOTS, TIMEOUT_MS, signed_in_page

DEVELOPER_WORDS = ("CheckBalance", "verify_pin", "credentials", "es-US", "TransferDialog", "Stopped at",
                   "get_accounts", "91 %", "normal", "CRM")  # fmt: skip


def spanish_balance_call() -> CallJournal:
    """A Spanish caller verified by PIN asks for the savings balance, then for a person."""
    journal = CallJournal(
        conversation_id="words-es",
        caller_ref="caller-test-0188",
        phone_masked="•••0188",
        language="es-US",
        customer_id="C003",
        customer_name="María García",
        verified=True,
        dialog_step="TransferDialog",
    )
    journal.crm_lookups += [CrmLookup(operation="get_customer", data_category="identity"),
                            CrmLookup(operation="verify_pin", data_category="credentials"),
                            CrmLookup(operation="get_accounts", data_category="balances")]  # fmt: skip
    journal.add_turn("caller", "quiero saber el saldo de mi cuenta de ahorros")
    journal.intents.append(DetectedIntent(intent="CheckBalance", score=0.91, text="ahorros"))
    journal.entities["account_type"] = "savings"
    journal.note_told("balance", account="savings", amount="1,250.40", currency="USD")
    journal.note_told("open_ticket", subject="Card delivery delay", since="2026-11-27")
    journal.add_turn("caller", "quiero hablar con una persona")
    journal.intents.append(DetectedIntent(intent="TalkToAgent", score=0.95, text="una persona"))
    return journal


async def test_the_card_speaks_the_agents_language_and_leaves_out_what_is_empty(
    browser, agent_console
) -> None:
    from playwright.async_api import expect

    page = await signed_in_page(browser, agent_console.base_url)
    ticket = await agent_console.service.escalate(spanish_balance_call(), EscalationReason.CALLER_REQUEST)
    card = page.locator(f'li.card[data-id="{ticket.handoff_id}"]')
    await expect(card).to_be_visible(timeout=TIMEOUT_MS)

    await expect(card.locator(".priority")).to_have_text("Normal")
    await expect(card.locator(".reason")).to_have_text("Asked for an agent")
    await expect(card.locator(".wanted")).to_have_text("account balance (savings)")
    caller = "María García · C003 · Verified by PIN · phone •••0188"
    await expect(card.locator(".caller")).to_have_text(caller)
    await expect(card.locator(".language")).to_have_text("Spanish")
    await expect(card.locator(".done")).to_have_text("Looked up the accounts")
    await expect(card.locator(".told")).to_have_text("Read the savings balance: 1,250.40 USD")
    await expect(card.locator(".ticket")).to_have_text(
        "“Card delivery delay”, open since 2026-11-27 (mentioned to the caller)"
    )
    # Nothing else was collected: no empty "Details" row.
    await expect(card.locator('.fact[data-field="details"]')).to_be_hidden()
    card_text = await card.inner_text()
    for word in DEVELOPER_WORDS:
        assert word not in card_text, word
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await card.screenshot(path=str(SCREENSHOTS / "agent-words.png"))
