"""A dialog that raises mid-call: over a phone call (ACS media socket) as over HTTP, the caller hears the
apology, the broken dialog stack is cleared and saved so the next turn starts clean, and the turn is in the
Bot Framework telemetry without personal data."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from botbuilder.core import ConversationState, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import DialogState
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from adapters.acs.media_ws import REGISTRY_KEY
from adapters.acs.simulator import open_call
from adapters.emulator import EmulatorChannel, texts
from app import SERVICES_KEY, Services, create_app
from config import StorageBackend
from services.crm.models import AccessContext
from tests.support.leaks import reveals
from tests.support.log_capture import record_activity_telemetry
from tests.support.speech_fixtures import make_speech_pcm
from tests.support.voice_relay import RelaySpeechToText, RelayTextToSpeech

CARLOS, PIN = "+14255550100", "1234"
APOLOGY = "something went wrong"


class PinCheckFailsOnce:
    """The CRM, except that its first PIN check raises an error no dialog expects."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.failed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def verify_pin(self, customer_id: str, pin: str, ctx: AccessContext) -> bool:
        if not self.failed:
            self.failed = True
            raise RuntimeError("unexpected failure inside the PIN step")
        return bool(await self._inner.verify_pin(customer_id, pin, ctx))


@pytest.fixture
async def bot(bot_settings, trained_recognizer) -> AsyncIterator[tuple[TestServer, Services]]:
    settings = bot_settings.model_copy(update={"storage": StorageBackend.SQLITE})  # the default store
    app = await create_app(settings, trained_recognizer)
    services: Services = app[SERVICES_KEY]
    services.stt = RelaySpeechToText("what is my checking balance")  # type: ignore[assignment]
    services.tts = RelayTextToSpeech(ms_per_char=5)  # type: ignore[assignment]
    services.bot.deps.crm = PinCheckFailsOnce(services.bot.deps.crm)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server, services
    await server.close()


async def stored_dialog_stack(services: Services, channel_id: str, conversation_id: str) -> list[str]:
    """The dialog stack the state store holds for the conversation (what its next turn resumes)."""
    activity = Activity(
        type=ActivityTypes.message,
        channel_id=channel_id,
        conversation=ConversationAccount(id=conversation_id),
        from_property=ChannelAccount(id="reader"),
        recipient=ChannelAccount(id="bot"),
    )
    state = ConversationState(services.storage)
    context = TurnContext(TestAdapter(), activity)
    await state.load(context, force=True)
    stored = await state.create_property("DialogState").get(context)
    return [instance.id for instance in stored.dialog_stack] if isinstance(stored, DialogState) else []


async def phone_call_turn_fails(server: TestServer, services: Services) -> tuple[str, list[str]]:
    """A softphone call over the ACS media socket: ask for a balance, key in the PIN; (call id, replies)."""
    url = str(server.make_url("/ws/media")).replace("http://", "ws://")
    async with aiohttp.ClientSession() as http:
        call = await open_call(http, url, CARLOS)
        assert await call.listen_until_quiet(quiet_s=0.5, timeout_s=30), "greeting"
        call_id = server.app[REGISTRY_KEY].calls()[0].call_id
        await call.say(make_speech_pcm("what is my checking balance", "en-US"))
        assert await call.listen_until_quiet(quiet_s=0.5, timeout_s=30), "PIN prompt"
        heard_before = len(call.result.audio_frames)
        await call.dtmf(PIN + "#")
        assert await call.listen_until_quiet(quiet_s=0.5, timeout_s=30), "a reply to the PIN"
        assert len(call.result.audio_frames) > heard_before, "the reply is spoken, not only sent"
        await call.hang_up()
    return call_id, call.result.replies


async def http_turn_fails(server: TestServer, services: Services) -> tuple[str, list[str]]:
    """The same over the Bot Framework protocol (HTTP)."""
    async with EmulatorChannel(str(server.make_url("/api/messages"))) as channel:
        call, greeting = await channel.start_call(CARLOS, conversation_id=f"call-{uuid.uuid4().hex[:8]}")
        replies = greeting + await channel.say(call, "what is my checking balance")
        replies += await channel.press(call, PIN)
        return call.conversation_id, texts(replies)


@pytest.mark.parametrize(
    ("channel_id", "turn"), [("acs", phone_call_turn_fails), ("emulator", http_turn_fails)]
)
async def test_a_dialog_that_raises_is_apologised_for_and_the_next_turn_starts_clean(
    bot, channel_id: str, turn: Any
) -> None:
    server, services = bot
    telemetry = record_activity_telemetry(services.adapter)
    call_id, replies = await turn(server, services)
    assert services.bot.deps.crm.failed, "the PIN step raised"
    assert APOLOGY in replies[-1], replies
    assert await stored_dialog_stack(services, channel_id, call_id) == []
    received = [args[0] for method, args, _ in telemetry.calls if method == "track_event"]
    assert received.count("BotMessageReceived") >= 2, "the caller's turns are in the activity telemetry"
    assert CARLOS not in telemetry.text() and not reveals(telemetry.text(), PIN)
