"""Replies sent over the bot's aiohttp session reach the channel as botbuilder's requests path sent them:
with the bot's token, after a channel that was briefly unreachable comes up, never to a redirect's
target, and as msrest's error when the channel cannot be reached at all."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from msrest.exceptions import ClientException, ClientRequestError

from adapters import channel_http
from adapters.channel_http import ChannelHttp
from tests.support.servers import free_port, serve_on_loopback


class FixedTokenCredentials(MicrosoftAppCredentials):
    """The bot's credentials with a token already issued (no identity provider in a test)."""

    def get_access_token(self, force_refresh: bool = False) -> str:
        return "issued-token"


def _reply(text: str) -> Activity:
    return Activity(
        type=ActivityTypes.message,
        text=text,
        from_property=ChannelAccount(id="bot"),
        recipient=ChannelAccount(id="caller"),
        conversation=ConversationAccount(id="conv-1"),
    )


def _channel(received: list[tuple[str | None, dict]]) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        received.append((request.headers.get("Authorization"), await request.json()))
        return web.json_response({"id": "reply-1"})

    app = web.Application()
    app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", receive)
    return app


async def _send(http: ChannelHttp, service_url: str, credentials: MicrosoftAppCredentials) -> str:
    client = await http.send_over_aiohttp(ConnectorClient(credentials, base_url=service_url))
    sent = await client.conversations.reply_to_activity("conv-1", "act-1", _reply("your balance is 10"))
    return str(sent.id)


async def test_a_reply_reaches_the_channel_with_the_bots_token() -> None:
    received: list[tuple[str | None, dict]] = []
    runner, url = await serve_on_loopback(_channel(received))
    http = ChannelHttp()
    try:
        assert await _send(http, url, FixedTokenCredentials("app-id", "secret")) == "reply-1"
        assert await _send(http, url, MicrosoftAppCredentials(None, None)) == "reply-1"  # anonymous
    finally:
        await http.close()
        await runner.cleanup()
    assert [token for token, _ in received] == ["Bearer issued-token", None]
    assert received[0][1]["text"] == "your balance is 10"


async def test_a_channel_briefly_unreachable_gets_the_reply_once_it_listens(monkeypatch) -> None:
    monkeypatch.setattr(channel_http, "BACKOFF_SECONDS", 0.2)
    received: list[tuple[str | None, dict]] = []
    port = free_port()
    channel = web.AppRunner(_channel(received))
    await channel.setup()

    async def come_up_late() -> None:
        await asyncio.sleep(0.3)
        await web.TCPSite(channel, "127.0.0.1", port).start()

    http = ChannelHttp()
    try:
        starting = asyncio.create_task(come_up_late())
        assert await _send(http, f"http://127.0.0.1:{port}", MicrosoftAppCredentials(None, None)) == "reply-1"
        await starting
    finally:
        await http.close()
        await channel.cleanup()
    assert len(received) == 1


async def test_an_unreachable_channel_is_msrests_request_error(monkeypatch) -> None:
    monkeypatch.setattr(channel_http, "BACKOFF_SECONDS", 0.01)
    http = ChannelHttp()
    try:
        with pytest.raises(ClientRequestError):
            await _send(http, f"http://127.0.0.1:{free_port()}", MicrosoftAppCredentials(None, None))
    finally:
        await http.close()


async def test_a_redirect_from_the_channel_host_is_not_followed() -> None:
    elsewhere: list[tuple[str | None, dict]] = []
    target_runner, target_url = await serve_on_loopback(_channel(elsewhere))

    async def redirect(request: web.Request) -> web.Response:
        return web.json_response({}, status=307, headers={"Location": target_url + request.path})

    redirecting = web.Application()
    redirecting.router.add_post("/{tail:.*}", redirect)
    runner, url = await serve_on_loopback(redirecting)
    http = ChannelHttp()
    try:
        with pytest.raises(ClientException):  # msrest's error: a 307 is no answer to a reply
            await _send(http, url, FixedTokenCredentials("app-id", "secret"))
    finally:
        await http.close()
        await runner.cleanup()
        await target_runner.cleanup()
    assert elsewhere == []  # the bot's token and the caller's words went nowhere else


async def test_replies_go_through_the_proxy_the_environment_sets(monkeypatch) -> None:
    through_proxy: list[str] = []

    async def forward(request: web.Request) -> web.Response:
        through_proxy.append(str(request.url))
        return web.json_response({"id": "reply-1"})

    proxy = web.Application()
    proxy.router.add_post("/{tail:.*}", forward)
    runner, proxy_url = await serve_on_loopback(proxy)
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", proxy_url)
    http = ChannelHttp()
    try:
        assert await _send(http, "http://channel.example", MicrosoftAppCredentials(None, None)) == "reply-1"
    finally:
        await http.close()
        await runner.cleanup()
    assert through_proxy == ["http://channel.example/v3/conversations/conv-1/activities/act-1"]
