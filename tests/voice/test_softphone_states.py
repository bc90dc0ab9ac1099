"""The softphone says what is wrong and what to do (no microphone, permission denied, server down or gone
mid-call), separates calls, echoes key presses, times the call, mutes, shows the demo callers on the
embedded default, and keeps the developer readout behind a toggle; at 375 px and 1280 px with axe-core."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support.browser import chromium
from tests.support.page_checks import (
    WIDTHS,
    axe_violations,
    horizontal_overflow,
    screenshot,
    too_wide,
    wait_until,
)
from tests.support.speech_fixtures import make_speech_wav
from tests.support.voice_relay import RelaySpeechToText, RelayTextToSpeech
from tests.voice.harness import RecordingBot

FOLDER = "softphone"


def _fake_microphone(wav: Any) -> list[str]:
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
        "--autoplay-policy=no-user-gesture-required",
    ]


@pytest.fixture
def caller_wav(tmp_path) -> Any:
    return make_speech_wav("hello there", "en-US", tmp_path / "caller.wav", lead_ms=1500, trail_ms=4000)


async def _page(browser: Any, url: str, width: int = 1280) -> tuple[Any, list[str]]:
    context = await browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(url)
    return page, errors


@pytest.fixture
async def softphone_server(start_server) -> AsyncIterator[Any]:
    yield await start_server(
        RecordingBot(greeting="Hi."), RelaySpeechToText("hello there"), RelayTextToSpeech()
    )


async def test_no_microphone_says_so_and_what_to_do(softphone_server) -> None:
    async with chromium(["--use-fake-ui-for-media-stream"]) as browser:  # no (fake) device at all
        page, errors = await _page(browser, str(softphone_server.make_url("/softphone")))
        await page.click("#call")
        await wait_until(page, "!document.getElementById('problem').hidden")
        assert (await page.inner_text("#problem")).startswith("No microphone found.")
        assert await page.inner_text("#status") == "Not connected"
        assert await page.is_enabled("#call")
        await screenshot(page, FOLDER, "no-microphone")
    assert errors == []


async def test_microphone_permission_denied_says_how_to_allow_it(softphone_server) -> None:
    async with chromium(["--use-fake-device-for-media-stream"]) as browser:  # headless denies the prompt
        page, errors = await _page(browser, str(softphone_server.make_url("/softphone")))
        await page.click("#call")
        await wait_until(page, "!document.getElementById('problem').hidden")
        assert (await page.inner_text("#problem")).startswith("Microphone permission denied.")
        await screenshot(page, FOLDER, "permission-denied")
    assert errors == []


async def test_server_down_says_it_cannot_reach_the_bot(softphone_server, caller_wav) -> None:
    async with chromium(_fake_microphone(caller_wav)) as browser:
        page, errors = await _page(browser, str(softphone_server.make_url("/softphone")))
        await softphone_server.close()
        await page.click("#call")
        await wait_until(page, "!document.getElementById('problem').hidden", 15)
        assert (await page.inner_text("#problem")).startswith("Cannot reach the bot server.")
        assert await page.inner_text("#status") == "Not connected"
        await screenshot(page, FOLDER, "server-down")
    assert errors == []


async def test_server_gone_mid_call_says_the_call_was_lost(softphone_server, caller_wav) -> None:
    async with chromium(_fake_microphone(caller_wav)) as browser:
        page, errors = await _page(browser, str(softphone_server.make_url("/softphone")))
        await page.click("#call")
        await wait_until(page, "document.getElementById('status').textContent === 'In call'", 15)
        await softphone_server.close()
        await wait_until(page, "document.getElementById('status').textContent === 'Call lost'", 15)
        assert "connection to the bot was lost" in await page.inner_text("#problem")
        assert await page.is_enabled("#call") and await page.is_disabled("#hangup")
        await screenshot(page, FOLDER, "server-gone-mid-call")
    assert errors == []


async def test_the_bot_hanging_up_is_not_a_lost_call(start_server, caller_wav) -> None:
    server = await start_server(RecordingBot(greeting="Hi."), RelaySpeechToText("bye"), RelayTextToSpeech())
    async with chromium(_fake_microphone(caller_wav)) as browser:
        page, errors = await _page(browser, str(server.make_url("/softphone")))
        await page.click("#call")
        await wait_until(
            page, "document.getElementById('status').textContent === 'Call ended by the bot'", 30
        )
        assert await page.is_hidden("#problem")
    assert errors == []


async def test_a_call_with_keys_timer_mute_and_a_second_call(softphone_server, caller_wav) -> None:
    url = str(softphone_server.make_url("/softphone"))
    async with chromium(_fake_microphone(caller_wav)) as browser:
        for width in WIDTHS:
            page, errors = await _page(browser, url, width)
            # the embedded default shows its demo callers, PINs included, and dials as one of them
            await wait_until(page, "!document.getElementById('demo').hidden")
            rows = await page.locator("#demo-callers tr").all_inner_texts()
            assert any("Carlos Rivera" in row and "1234" in row for row in rows)
            await page.click("text=Call as María")
            assert await page.input_value("#from") == "+5215555550101"
            assert await page.input_value("#lang") == "es-MX"
            await page.click("#call")
            await wait_until(page, "document.getElementById('status').textContent === 'In call'", 15)
            await wait_until(page, "document.getElementById('timer').textContent !== '0:00'", 5)
            for key in ("4", "3"):
                await page.click(f"#keypad button[data-key='{key}']")
            assert await page.inner_text("#keys") == "••"  # echoed, masked like a PIN field
            await page.click("#mute")
            assert await page.get_attribute("#mute", "aria-pressed") == "true"
            assert "muted" in await page.inner_text("#status")
            await page.click("#mute")
            # the developer readout waits behind a toggle
            assert not await page.is_visible("#played")
            await page.click("#developer summary")
            assert await page.is_visible("#played")
            assert await horizontal_overflow(page) == 0, f"scroll at {width} px: {await too_wide(page)}"
            await screenshot(page, FOLDER, f"in-call-{width}px")
            assert await axe_violations(page) == []
            await page.click("#hangup")
            await wait_until(
                page, "document.getElementById('status').textContent === 'Call ended: you hung up'"
            )
            await page.click("#call")
            await wait_until(page, "document.getElementById('status').textContent === 'In call'", 15)
            separators = await page.locator("#transcript li.separator").all_inner_texts()
            assert [s.split(" · ")[0] for s in separators] == ["Call 1", "Call 2"]
            assert await page.inner_text("#keys") == "none"  # a new call starts with no keys
            await page.click("#hangup")
            await screenshot(page, FOLDER, f"second-call-{width}px")
            assert errors == []
