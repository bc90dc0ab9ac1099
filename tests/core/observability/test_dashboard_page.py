"""The /dashboard page, in headless Chromium: current figures, history charts, handoffs by reason and
language, the caller's wait, a visibly stale page when the server is gone, at 375 px and 1280 px."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from botbuilder.core import MemoryStorage

from core.observability.history import MetricsHistory
from core.observability.metrics import VoicebotMetrics
from tests.support.browser import chromium
from tests.support.page_checks import (
    WIDTHS,
    axe_violations,
    horizontal_overflow,
    screenshot,
    too_wide,
    wait_until,
)
from tests.support.servers import serve_on_loopback
from web.metrics_routes import add_routes


async def _wait_for_text(page: Any, selector: str, text: str, timeout_s: float = 10.0) -> None:
    """Poll from Playwright's isolated world: the page's CSP forbids wait_for_function's string eval."""
    deadline = time.monotonic() + timeout_s
    while (shown := await page.inner_text(selector)) != text:
        assert time.monotonic() < deadline, f"{selector} shows {shown!r}, not {text!r}"
        await asyncio.sleep(0.1)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with chromium() as launched:
        yield launched


async def _serve(metrics: VoicebotMetrics) -> tuple[web.AppRunner, str]:
    app = web.Application()
    add_routes(app, metrics)
    return await serve_on_loopback(app)


async def test_dashboard_shows_calls_intents_latency_and_an_escalation_alert(browser) -> None:
    metrics = VoicebotMetrics()
    for _ in range(3):
        metrics.call_started()
    metrics.record_intent("CheckBalance", 0.9)
    metrics.record_intent("BlockCard", 0.8)
    for ms in (100, 200, 300):
        metrics.observe_latency("stt", ms)
    runner, base_url = await _serve(metrics)
    try:
        page = await browser.new_page()
        await page.goto(f"{base_url}/dashboard")
        await _wait_for_text(page, "#calls", "3")
        assert "CheckBalance" in await page.inner_text("#intents tbody")
        assert await page.locator("#intents thead th").all_inner_texts() == ["Intent", "Turns", "Share"]
        stt_row = await page.locator("#latency tbody tr:nth-child(1) td").all_inner_texts()
        assert stt_row == ["Speech to text", "3", "200", "300", "300"]
        assert await page.inner_text("#escalation") == "0.0 %"
        # two of the three calls end transferred: 67 % is above the 40 % line
        for outcome in ("transferred", "transferred", "contained"):
            metrics.call_ended(outcome)
        metrics.record_escalation("caller_request", "en-US")
        metrics.record_escalation("fraud", "es-MX")
        await _wait_for_text(page, "#escalation", "66.7 %")
        assert await page.get_attribute("#escalation", "class") == "big alert"
        assert await page.inner_text("#escalation-counts") == "2 of 3 ended calls handed to an agent"
        assert await page.inner_text("#calls") == "0"
    finally:
        await runner.cleanup()


def _busy_hour(metrics: VoicebotMetrics) -> None:
    """Five calls, two handed over (fraud in Spanish, a request in English), caller waits and STT times."""
    for _ in range(5):
        metrics.call_started()
    for outcome in ("transferred", "transferred", "contained", "contained", "abandoned"):
        metrics.call_ended(outcome)
        metrics.history.call_escalated(outcome == "transferred")
    metrics.record_escalation("fraud", "es-MX")
    metrics.record_escalation("caller_request", "en-US")
    for ms in (900, 1100, 1300, 2400):
        metrics.observe_latency("voice_to_voice", ms)
        metrics.observe_latency("stt", ms / 3)
    metrics.record_intent("CheckBalance", 0.9)


async def test_history_charts_handoffs_and_caller_wait_at_phone_and_desktop_widths(browser) -> None:
    metrics = VoicebotMetrics(history=MetricsHistory(MemoryStorage()))
    _busy_hour(metrics)
    await metrics.history.flush()
    runner, base_url = await _serve(metrics)
    try:
        for width in WIDTHS:
            context = await browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
            await page.goto(f"{base_url}/dashboard")
            await wait_until(page, "document.querySelectorAll('#chart-latency canvas').length > 0")
            await _wait_for_text(page, "#wait-p50", "1100")
            assert await page.inner_text("#wait-p95") == "2400"
            reasons = await page.locator("#reasons tbody td").all_inner_texts()
            assert sorted(zip(reasons[::2], reasons[1::2], strict=True)) == [
                ("Asked for an agent", "1"),
                ("Fraud report", "1"),
            ]
            languages = await page.locator("#languages tbody td").all_inner_texts()
            assert sorted(zip(languages[::2], languages[1::2], strict=True)) == [
                ("English", "1"),
                ("Spanish", "1"),
            ]
            totals = await page.inner_text("#history-totals")
            assert "5 calls started, 5 ended, 2 of 5 ended calls handed to an agent (40.0 %)" in totals
            # the latency chart plots the caller's wait by default; the other stages can be chosen
            assert await page.input_value("#stage") == "voice_to_voice"
            assert "Speech to text" in await page.inner_text("#stage")
            for name in ("calls", "escalation", "latency"):
                assert await page.locator(f"#chart-{name} canvas").count() == 1
            await page.click("button[data-range=day]")
            await wait_until(page, "document.querySelector('[data-range=day]').ariaPressed === 'true'")
            assert await horizontal_overflow(page) == 0, f"scroll at {width} px: {await too_wide(page)}"
            await screenshot(page, "dashboard", f"history-{width}px")
            assert await axe_violations(page) == []
            # headings name every card for a screen reader
            headings = await page.locator("section.card h2").all_inner_texts()
            assert "Handoffs by reason" in headings and "Caller wait (last 5 min)" in headings
            assert errors == []
            await context.close()
    finally:
        await runner.cleanup()


async def test_server_gone_dims_the_figures_under_a_banner(browser) -> None:
    metrics = VoicebotMetrics()
    metrics.call_started()
    runner, base_url = await _serve(metrics)
    stopped = False
    try:
        page = await browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(f"{base_url}/dashboard")
        await _wait_for_text(page, "#calls", "1")
        assert await page.is_hidden("#stale")
        await runner.cleanup()
        stopped = True
        await wait_until(page, "!document.getElementById('stale').hidden")
        banner = await page.inner_text("#stale")
        assert banner.startswith("Cannot reach the server.") and "out of date" in banner
        assert await page.get_attribute("#figures", "class") == "stale"
        opacity = await page.evaluate("getComputedStyle(document.querySelector('.card')).opacity")
        assert float(opacity) < 1
        await screenshot(page, "dashboard", "server-gone")
        assert errors == []
    finally:
        if not stopped:
            await runner.cleanup()
