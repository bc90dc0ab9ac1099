"""The channel side of Bot Framework streaming, as the telephony channel speaks it: one WebSocket to the
bot's /api/messages, activities sent as streaming requests, replies received as streaming requests.

Built from botframework-streaming's own pieces (the protocol is symmetric: its `WebSocketServer` runs
over an aiohttp client socket as well). Same interface as `EmulatorChannel`; used by
`python cli.py chat --streaming` and `bench.http_turns --transport streaming`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import aiohttp
from botframework.streaming import ReceiveRequest, RequestHandler, StreamingRequest, StreamingResponse
from botframework.streaming.transport.web_socket import WebSocketServer

from adapters.emulator import EmulatedCall, EmulatorChannel
from adapters.streaming_channel import ChannelSocket, stop_send_queue, use_fixed_response_assembler

STREAMING_SERVICE_URL = "urn:botframework:websocket:telephony"
"""The activities' serviceUrl on a socket, in the form streaming channels use (Direct Line Speech sends
``urn:botframework:websocket:directlinespeech``): the bot replies over the socket, never to a URL."""


class StreamingRejected(Exception):
    """The bot refused the WebSocket upgrade (401: no or an invalid channel token)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"the bot refused the streaming connection ({status})")
        self.status = status


class _ChannelRequests(RequestHandler):
    """What the channel does with the bot's replies: keeps each one and answers with its id."""

    def __init__(self, channel: StreamingChannel) -> None:
        self._channel = channel
        self._ids = itertools.count(1)

    async def process_request(
        self, request: ReceiveRequest, logger: Any, context: object
    ) -> StreamingResponse:
        response = StreamingResponse(status_code=200)
        if request.verb == StreamingRequest.POST:
            self._channel.received(json.loads(await request.read_body_as_str()))
            response.set_body(json.dumps({"id": f"reply-{next(self._ids)}"}))
        return response


class StreamingChannel(EmulatorChannel):
    """``async with StreamingChannel("ws://host/api/messages") as channel``; then as `EmulatorChannel`."""

    def __init__(
        self, bot_url: str, channel_id: str = "telephony", headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(bot_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1), channel_id)
        self._headers = headers or {}
        self._socket: aiohttp.ClientWebSocketResponse | None = None
        self._server: WebSocketServer | None = None
        self._listening: asyncio.Task[object] | None = None
        self.service_url = STREAMING_SERVICE_URL

    async def __aenter__(self) -> StreamingChannel:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        try:
            self._socket = await self._session.ws_connect(self.bot_url, headers=self._headers)
        except aiohttp.WSServerHandshakeError as refused:
            await self._session.close()
            raise StreamingRejected(refused.status) from None
        self._server = WebSocketServer(ChannelSocket(self._socket), _ChannelRequests(self))
        use_fixed_response_assembler(self._server)
        self._listening = asyncio.create_task(self._server.start())
        await asyncio.sleep(0)  # start() connects the sender, then listens until the socket closes
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._listening is not None:
            await asyncio.gather(self._listening, return_exceptions=True)
        if self._server is not None:
            stop_send_queue(self._server)
        if self._session is not None:
            await self._session.close()

    def received(self, activity: dict[str, Any]) -> None:
        call = self._calls.get((activity.get("conversation") or {}).get("id", ""))
        if call is not None:
            call.replies.append(activity)

    async def post(self, call: EmulatedCall, activity: dict[str, Any]) -> list[dict[str, Any]]:
        """Send one activity over the socket; its replies have all arrived when the bot answers it."""
        assert self._server is not None, "use 'async with StreamingChannel(...)'"
        before = len(call.replies)
        request = StreamingRequest.create_post("/api/messages")
        request.set_body(json.dumps(activity))  # ASCII-escaped JSON: botframework-streaming encodes ASCII
        response = await self._server.send(request)
        if response.status_code >= 400:
            raise RuntimeError(f"bot answered {response.status_code}: {response.read_body_as_str()}")
        return call.replies[before:]
