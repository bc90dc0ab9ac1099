"""Builds the real bot (embedded backends) for tests: in-process for dialog tests, over HTTP for e2e."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount
from botbuilder.testing import DialogTestClient

from adapters.emulator import EmulatorChannel
from app import SERVICES_KEY, Services, build_services, create_app
from bots.understanding import TurnUnderstanding
from config import Settings
from recognizers.base import CallerRecognizer


def make_test_settings(data_dir: Path, knowledge_index: Path, **overrides: Any) -> Settings:
    """Embedded everything, state in memory, files under a temporary folder."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "storage": "memory",
        "knowledge_index_path": knowledge_index,
        "voice": {"warm_up_speech": False},
        # A shared 2-core test machine lags for reasons unrelated to the test: no shedding on lag here
        # (tests/e2e/security/test_admission_control.py sets its own bounds).
        "admission": {"max_event_loop_lag_ms": 0},
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def running_bot(
    settings: Settings, recognizer: CallerRecognizer
) -> AsyncIterator[tuple[EmulatorChannel, Services]]:
    """The real aiohttp app on a free loopback port, with an Emulator-like channel talking to it."""
    app = await create_app(settings, recognizer)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with EmulatorChannel(str(server.make_url("/api/messages"))) as channel:
            yield channel, app[SERVICES_KEY]
    finally:
        await server.close()


class DialogHarness:
    """botbuilder-testing's DialogTestClient around the MainDialog, with the bot's per-turn understanding."""

    def __init__(
        self, services: Services, caller: str, locale: str, conversation_id: str | None = None
    ) -> None:
        deps = services.bot.deps
        self.services = services
        self.client = DialogTestClient(
            "test",
            services.bot.main_dialog,
            middlewares=[TurnUnderstanding(deps)],
            conversation_state=services.conversation_state,
        )
        template = self.client.test_adapter.template
        template.from_property = ChannelAccount(id=caller, name=caller)
        template.locale = locale
        if conversation_id:  # a new call on the same bot (same state store): a redial
            template.conversation = ConversationAccount(id=conversation_id)

    async def say(self, text: str) -> list[str]:
        """Send one utterance; return every text the bot said in reply."""
        first = await self.client.send_activity(text)
        return self._drain(first)

    async def keys(self, digits: str) -> list[str]:
        replies: list[str] = []
        for key in digits:
            first = await self.client.send_activity(
                Activity(type="message", text=key, entities=[{"type": "DTMF"}])
            )
            replies += self._drain(first)
        return replies

    def _drain(self, first: Activity | None) -> list[str]:
        """Collect this turn's replies: texts are returned, every activity is kept in ``last``."""
        self.last: list[Activity] = []
        activity = first
        while activity is not None:
            self.last.append(activity)
            activity = self.client.get_next_reply()
        return [a.text for a in self.last if a.type == "message" and a.text]

    def events(self, name: str) -> list[Activity]:
        return [a for a in self.last if a.type == "event" and a.name == name]

    def ended_call(self) -> bool:
        return any(a.type == "endOfConversation" for a in self.last)


async def dialog_harness(
    settings: Settings, recognizer: CallerRecognizer, caller: str, locale: str
) -> DialogHarness:
    return DialogHarness(await build_services(settings, recognizer), caller, locale)
