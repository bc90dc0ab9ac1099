"""A media socket the instance cannot serve (over its call cap) hears the busy message, then is closed."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import web

from adapters.acs.media_messages import audio_data_out
from services.speech.base import SpeechError, TextToSpeech
from voice.player import PacedSender

log = logging.getLogger(__name__)

BUSY_PROMPT = "call.busy"
"""Rendered with the greeting before the app serves (app.py): refusing costs no synthesis."""
BUSY_TIMEOUT_S = 15.0
"""The whole refusal (the message is ~5 s): a stalled peer does not hold the socket."""


async def play_busy_and_close(
    request: web.Request, tts: TextToSpeech | None, replies: Any, locale: str, side_events: bool
) -> web.WebSocketResponse:
    """Answer the socket, play the busy message in ``locale`` (a softphone also gets its words), close:
    never a silent refusal."""
    ws = web.WebSocketResponse(heartbeat=30.0)
    await ws.prepare(request)
    prompt = replies.say(locale, BUSY_PROMPT)

    async def send(frame: bytes) -> None:
        if not ws.closed:
            await ws.send_str(audio_data_out(frame))

    try:
        if side_events:
            words = {"kind": "Transcript", "role": "bot", "text": prompt.text, "final": True}
            await ws.send_str(json.dumps(words))
        if tts is not None:
            async with asyncio.timeout(BUSY_TIMEOUT_S):
                await PacedSender(send).play(tts.synthesize(prompt.speak, prompt.locale))
    except (SpeechError, TimeoutError, ConnectionError) as exc:
        log.error("busy message not played: %s", type(exc).__name__)
    finally:
        await ws.close()
    return ws
