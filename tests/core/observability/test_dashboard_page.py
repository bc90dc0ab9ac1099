"""The /dashboard page, in headless Chromium, shows what /metrics reports and follows its changes."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from core.observability.metrics import VoicebotMetrics
from tests.support.browser import chromium
from tests.support.servers import serve_on_loopback
from web.metrics_routes import add_routes


async def _wait_for_text(page: object, selector: str, text: str, timeout_s: float = 10.0) -> None:
    """Poll from Playwright's isolated world: the page's CSP forbids wait_for_function's string eval."""
    deadline = time.monotonic() + timeout_s
    while (shown := await page.inner_text(selector)) != text:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, f"{selector} shows {shown!r}, not {text!r}"
        await asyncio.sleep(0.1)


async def test_dashboard_shows_calls_intents_latency_and_an_escalation_alert() -> None:
    metrics = VoicebotMetrics()
    for _ in range(3):
        metrics.call_started()
    metrics.record_intent("CheckBalance", 0.9)
    metrics.record_intent("BlockCard", 0.8)
    for ms in (100, 200, 300):
        metrics.observe_latency("stt", ms)
    app = web.Application()
    add_routes(app, metrics)
    runner, base_url = await serve_on_loopback(app)
    try:
        async with chromium() as browser:
            page = await browser.new_page()
            await page.goto(f"{base_url}/dashboard")
            await _wait_for_text(page, "#calls", "3")
            assert "CheckBalance" in await page.inner_text("#intents")
            stt_row = await page.inner_text("#latency tbody tr:first-child")
            assert stt_row.split() == ["stt", "3", "200", "300", "300"]
            assert await page.inner_text("#escalation") == "0.0 %"
            # two of the three calls end transferred: 67 % is above the 40 % line
            for outcome in ("transferred", "transferred", "contained"):
                metrics.call_ended(outcome)
            metrics.record_escalation("caller_request")
            metrics.record_escalation("fraud")
            await _wait_for_text(page, "#escalation", "66.7 %")
            assert await page.get_attribute("#escalation", "class") == "big alert"
            assert await page.inner_text("#calls") == "0"
    finally:
        await runner.cleanup()
