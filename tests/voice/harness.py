"""A small call app for the voice tests: a recording bot, real or relay speech engines, the call routes."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from aiohttp import web
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount

from adapters.acs.routes import add_call_routes
from adapters.adapter_setup import AdapterSetup
from adapters.app_keys import SERVICES_KEY
from config import Settings
from services.speech.base import FRAME_BYTES, SttResult

SSML = (
    "<speak version='1.0' xmlns='http://www.w3.org/2001/10/synthesis' xml:lang='en-US'>"
    "<voice name='en-US-JennyNeural'>{}</voice></speak>"
)


@dataclass
class Services:
    bot: Any
    settings: Settings
    stt: Any = None
    tts: Any = None
    recognizer: Any = None
    metrics: Any = None
    conversation_state: Any = None
    user_state: Any = None
    metrics: Any = None


class RecordingBot(ActivityHandler):
    """Greets, echoes what it heard, counts DTMF digits, reprompts on silence, transfers on 'agent'."""

    def __init__(self, greeting: str = "Welcome to Contoso Bank. How can I help you today?") -> None:
        self.greeting = greeting
        self.received: list[Activity] = []

    async def on_turn(self, turn_context: TurnContext) -> None:
        self.received.append(turn_context.activity)
        await super().on_turn(turn_context)

    def _reply(self, text: str, hint: str = "expectingInput") -> Activity:
        return MessageFactory.text(text, speak=SSML.format(text), input_hint=hint)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext):
        await turn_context.send_activity(self._reply(self.greeting))

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if any(e.type == "DTMF" for e in activity.entities or []):
            await turn_context.send_activity(self._reply(f"I got {len(activity.text)} digits."))
        elif "agent" in (activity.text or "").lower():
            await turn_context.send_activity(self._reply("Transferring you now.", "ignoringInput"))
            await turn_context.send_activity(
                Activity(
                    type=ActivityTypes.event,
                    name="handoff.initiate",
                    value={
                        "TargetPhoneNumber": "+14255550199",
                        "HandoffId": "H-1",
                        "Reason": "caller_request",
                    },
                )
            )
        elif "bye" in (activity.text or "").lower():
            await turn_context.send_activity(self._reply("Goodbye.", "ignoringInput"))
            await turn_context.send_activity(Activity(type=ActivityTypes.end_of_conversation))
        else:
            await turn_context.send_activity(self._reply(f"You said {activity.text}."))

    async def on_event_activity(self, turn_context: TurnContext) -> None:
        if turn_context.activity.name == "silence.timeout":
            await turn_context.send_activity(self._reply("Are you still there?"))

    def texts(self) -> list[str]:
        return [a.text for a in self.received if a.type == ActivityTypes.message]

    def named(self, name: str) -> list[Activity]:
        return [a for a in self.received if a.name == name]


class EspeakTts:
    """Test TTS when the project's engines are not importable: espeak-ng, streamed in frames."""

    async def synthesize(self, ssml_or_text: str, locale: str) -> AsyncIterator[bytes]:
        from tests.support.speech_fixtures import make_speech_pcm

        text = ssml_or_text
        if text.lstrip().startswith("<"):
            import re

            text = re.sub(r"<[^>]+>", " ", text)
        pcm = make_speech_pcm(text.strip() or ".", locale)
        for i in range(0, len(pcm), FRAME_BYTES):
            yield pcm[i : i + FRAME_BYTES].ljust(FRAME_BYTES, b"\x00")


class _SphinxStream:
    def __init__(self, stt: SphinxStt) -> None:
        self._stt, self._pcm = stt, bytearray()

    async def push(self, pcm: bytes) -> None:
        self._pcm.extend(pcm)

    async def partials(self) -> AsyncIterator[SttResult]:
        return
        yield

    async def finish(self) -> SttResult:
        return await self._stt.transcribe(bytes(self._pcm))

    async def close(self) -> None:
        return None


class SphinxStt:
    """Fallback test STT (pocketsphinx general English model) until the project's engines are importable."""

    def __init__(self) -> None:
        from pocketsphinx import Decoder

        self._decoder = Decoder(loglevel="FATAL")

    def open_stream(self, locale_hint: str | None = None) -> _SphinxStream:
        return _SphinxStream(self)

    async def transcribe(self, pcm: bytes, locale_hint: str | None = None) -> SttResult:
        import asyncio

        def run() -> str:
            self._decoder.start_utt()
            self._decoder.process_raw(pcm, full_utt=True)
            self._decoder.end_utt()
            hyp = self._decoder.hyp()
            return hyp.hypstr if hyp else ""

        return SttResult(await asyncio.to_thread(run), True, "en-US", 0, len(pcm) // 32)


def real_engines(settings: Settings) -> tuple[Any, Any, str]:
    """The project's speech engines when they have landed, else the fallbacks above."""
    try:
        from services.speech.factory import create_stt, create_tts

        return create_stt(settings), create_tts(settings), "factory"
    except ImportError:
        if shutil.which("espeak-ng") is None:
            raise
        return SphinxStt(), EspeakTts(), "fallback"


def make_app(settings: Settings, bot: Any, stt: Any, tts: Any) -> web.Application:
    app = web.Application()
    app[SERVICES_KEY] = Services(bot=bot, settings=settings, stt=stt, tts=tts)
    add_call_routes(app, AdapterSetup())  # a bot without state: a failed turn is logged
    return app


def rms(pcm: bytes) -> float:
    if not pcm:
        return 0.0
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(samples**2)))


def espeak_available() -> bool:
    try:
        subprocess.run(["espeak-ng", "--version"], capture_output=True, check=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return True
