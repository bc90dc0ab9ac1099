"""Headless Chromium calls the bot from /softphone with a fake microphone playing an espeak WAV."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.support.browser import chromium
from tests.support.speech_fixtures import make_speech_wav
from tests.support.voice_relay import RelaySpeechToText, RelayTextToSpeech
from tests.voice.harness import RecordingBot


async def _wait_until(page: Any, expression: str, timeout_s: float) -> None:
    """Poll with page.evaluate (run by the DevTools protocol): the page's Content-Security-Policy forbids
    the string evaluation wait_for_function uses."""
    deadline = time.monotonic() + timeout_s
    while not await page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression}"
        await asyncio.sleep(0.1)


async def test_softphone_call_shows_both_sides_and_plays_reply_audio(start_server, tmp_path) -> None:
    wav = make_speech_wav(
        "I lost my credit card", "en-US", tmp_path / "caller.wav", lead_ms=1500, trail_ms=3000
    )
    bot = RecordingBot(greeting="Hi.")
    server = await start_server(bot, RelaySpeechToText("I lost my credit card"), RelayTextToSpeech())
    fake_microphone = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
        "--autoplay-policy=no-user-gesture-required",
    ]
    async with chromium(fake_microphone) as browser:
        page = await browser.new_page()
        await page.goto(str(server.make_url("/softphone")))
        await page.fill("#from", "+14255550123")
        await page.click("#call")
        await _wait_until(
            page,
            "window.softphone.transcript.some(t => t.role === 'bot' && t.text.startsWith('You said'))",
            20,
        )
        await _wait_until(page, "Number(document.getElementById('played').textContent) > 500", 30)
        transcript = await page.evaluate("window.softphone.transcript")
        await page.click("#hangup")
    assert {"role": "caller", "text": "I lost my credit card"} in transcript
    assert {"role": "bot", "text": "You said I lost my credit card."} in transcript
    assert bot.received[1].from_property.id == "+14255550123"
