"""Agent console alerts: a new high-priority call beeps and raises a desktop notification, others do not."""

from __future__ import annotations

from services.handoff.base import EscalationReason
from tests.e2e.conftest import CONSOLE_PASSWORD, CONSOLE_USER
from tests.e2e.test_agent_console_status import SCREENSHOTS, TIMEOUT_MS, call
from tests.support.contrast import below_aa

# Counts what the page hands to Chromium's real Notification and Web Audio objects.
RECORD_ALERTS = """
window.__alerts = [];
window.__beeps = 0;
const RealNotification = window.Notification;
window.Notification = class extends RealNotification {
  constructor(title, options) { window.__alerts.push(title); super(title, options); }
};
const realStart = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) {
  window.__beeps += 1;
  return realStart.apply(this, args);
};
"""


async def test_a_new_fraud_call_alerts_the_agent_and_an_ordinary_one_does_not(browser, agent_console) -> None:
    from playwright.async_api import expect

    context = await browser.new_context()
    await context.grant_permissions(["notifications"], origin=agent_console.base_url)
    await context.add_init_script(RECORD_ALERTS)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{agent_console.base_url}/agent/login")
    await page.fill("#username", CONSOLE_USER)
    await page.fill("#password", CONSOLE_PASSWORD)
    await page.click("#sign-in")
    await expect(page.locator("#connection")).to_have_text("live", timeout=TIMEOUT_MS)
    await page.click("#alerts")
    await expect(page.locator("#alerts")).to_have_attribute("aria-pressed", "true")

    service = agent_console.service
    ordinary = await service.escalate(
        call("alert-normal", "a person please"), EscalationReason.CALLER_REQUEST
    )
    await expect(page.locator(f'li.card[data-id="{ordinary.handoff_id}"]')).to_be_visible(timeout=TIMEOUT_MS)
    assert await page.evaluate("[window.__alerts, window.__beeps]") == [[], 0]

    fraud = await service.escalate(call("alert-fraud", "someone is using my card"), EscalationReason.FRAUD)
    await expect(page.locator(f'li.card[data-id="{fraud.handoff_id}"]')).to_be_visible(timeout=TIMEOUT_MS)
    await page.wait_for_function("window.__beeps === 1", timeout=TIMEOUT_MS)
    assert await page.evaluate("window.__alerts") == ["High-priority call: Fraud report"]
    assert await below_aa(page, "header") == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "alerts-on.png"))
    assert errors == []
    await context.close()
