"""The bot's replies to a channel reuse one connector client, hence one connection, across turns
(botbuilder makes a new client, with a new HTTP session, for every turn)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.emulator import EmulatorChannel, texts
from app import create_app
from tests.support.bot_harness import make_test_settings


class ConnectionCountingChannel(EmulatorChannel):
    """The Emulator-like channel, noting which client connection carried each reply."""

    def __init__(self, bot_url: str) -> None:
        super().__init__(bot_url)
        self.connections: list[object] = []

    async def _receive(self, request: web.Request) -> web.Response:
        self.connections.append(request.transport.get_extra_info("peername") if request.transport else None)
        return await super()._receive(request)


async def test_replies_of_successive_turns_and_calls_reuse_one_connection(
    tmp_path, knowledge_index_dir, trained_recognizer
) -> None:
    app = await create_app(make_test_settings(tmp_path, knowledge_index_dir), trained_recognizer)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with ConnectionCountingChannel(str(server.make_url("/api/messages"))) as channel:
            for caller in ("+14255550100", "+5215555550101"):  # two calls, one after the other
                call, greeting = await channel.start_call(caller)
                assert texts(greeting)
                assert texts(await channel.say(call, "what is my checking balance"))
    finally:
        await server.close()
    turns = 4
    assert len(channel.connections) >= turns
    # One connection (a new client per turn opened one per turn); an idle keep-alive timeout on a very
    # slow machine may cost a reconnect, never one per turn.
    assert len(set(channel.connections)) < turns
