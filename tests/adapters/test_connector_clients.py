"""The bot's replies to a channel reuse one connector client, hence one connection, across turns
(botbuilder makes a new client, with a new HTTP session, for every turn)."""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.test_utils import TestServer
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import ClaimsIdentity, ConnectorFactory, MicrosoftAppCredentials

from adapters.connector_clients import ReusedClients
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


class CountingFactory(ConnectorFactory):
    """botbuilder's connector factory as the CloudAdapter gets it: each create() makes a new client."""

    def __init__(self) -> None:
        self.made = 0

    async def create(self, service_url: str, audience: str) -> ConnectorClient:
        self.made += 1
        await asyncio.sleep(0.01)  # building msrest's configuration yields to other turns
        return ConnectorClient(MicrosoftAppCredentials(None, None), base_url=service_url)


async def test_first_turns_of_calls_arriving_together_share_one_client() -> None:
    clients = ReusedClients()
    inner = CountingFactory()
    factory = clients.connector_factory(inner, ClaimsIdentity({}, True))
    try:
        host, audience = "https://smba.trafficmanager.net/amer/", "https://api.botframework.com"
        made = await asyncio.gather(*(factory.create(host, audience) for _ in range(4)))
    finally:
        await clients.close()
    assert inner.made == 1
    assert all(client is made[0] for client in made)


def test_replies_are_serialised_as_with_msrest_validation() -> None:
    """The kept clients skip msrest's client-side validation, which can only refuse a model declaring
    `_validation` constraints: none of the Bot Framework models does (a botbuilder upgrade that adds one
    fails here), so every reply's body is the one validation would have let through, byte for byte."""
    import inspect

    from botbuilder import schema
    from botbuilder.schema import Activity, CardAction, ChannelAccount, ConversationAccount, SuggestedActions
    from botframework.connector import models
    from msrest.serialization import Model, Serializer

    constrained = [
        name
        for module in (schema, models)
        for name, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Model) and getattr(cls, "_validation", None)
    ]
    assert constrained == []
    reply = Activity(
        type="message",
        text="Your checking balance is 310 dollars and 75 cents.",
        speak="<speak version='1.0' xml:lang='en-US'>Your checking balance is 310 dollars.</speak>",
        input_hint="expectingInput",
        conversation=ConversationAccount(id="call-1"),
        recipient=ChannelAccount(id="+14255550100", role="user"),
        suggested_actions=SuggestedActions(actions=[CardAction(type="imBack", title="yes", value="yes")]),
        channel_data={"callerState": "verified"},
    )
    client_models = {k: v for k, v in models.__dict__.items() if isinstance(v, type)}
    checked, unchecked = Serializer(client_models), Serializer(client_models)
    unchecked.client_side_validation = False
    assert unchecked.body(reply, "Activity") == checked.body(reply, "Activity")
