"""A minimal Bot Framework channel, as the Emulator is: sends activities to the bot over HTTP and
hosts the connector endpoint at ``serviceUrl`` where the bot posts its replies.

Used by `python cli.py chat`, the HTTP tests and the benchmarks.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from locales.languages import default_locale


@dataclass
class EmulatedCall:
    """One conversation: the caller's number, language and the replies received so far."""

    conversation_id: str
    caller: str
    locale: str
    replies: list[dict[str, Any]] = field(default_factory=list)


class EmulatorChannel:
    """Start with ``async with EmulatorChannel(bot_url) as channel``; then ``start_call`` and ``say``."""

    def __init__(self, bot_url: str, channel_id: str = "emulator", host: str = "127.0.0.1") -> None:
        self.bot_url = bot_url
        self.channel_id = channel_id
        self._host = host
        self._calls: dict[str, EmulatedCall] = {}
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ids = itertools.count(1)
        self.service_url = ""

    async def __aenter__(self) -> EmulatorChannel:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation_id}/activities", self._receive)
        app.router.add_post("/v3/conversations/{conversation_id}/activities/{activity_id}", self._receive)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.service_url = f"http://{self._host}:{port}"
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._session:
            await self._session.close()
        if self._runner:
            await self._runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        activity = await request.json()
        call = self._calls.get(request.match_info["conversation_id"])
        if call is not None:
            call.replies.append(activity)
        return web.json_response({"id": f"reply-{next(self._ids)}"})

    def _activity(self, call: EmulatedCall, **fields: Any) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "channelId": self.channel_id,
            "serviceUrl": self.service_url,
            "conversation": {"id": call.conversation_id},
            "from": {"id": call.caller, "name": call.caller, "role": "user"},
            "recipient": {"id": "contoso-voicebot", "name": "Contoso Bank", "role": "bot"},
            "locale": call.locale,
            "timestamp": "2026-01-01T00:00:00.000Z",
            **fields,
        }

    async def post(self, call: EmulatedCall, activity: dict[str, Any]) -> list[dict[str, Any]]:
        """Send one activity; the bot has replied by the time the POST returns. Returns the new replies."""
        assert self._session is not None, "use 'async with EmulatorChannel(...)'"
        before = len(call.replies)
        async with self._session.post(self.bot_url, json=activity) as response:
            if response.status >= 400:
                raise RuntimeError(f"bot answered {response.status}: {await response.text()}")
        await asyncio.sleep(0)
        return call.replies[before:]

    async def start_call(
        self, caller: str = "+14255550100", locale: str | None = None, conversation_id: str | None = None
    ) -> tuple[EmulatedCall, list[dict[str, Any]]]:
        """conversationUpdate with the caller joining (default: the first language's locale): returns the
        call and the greeting."""
        call_id = conversation_id or f"call-{uuid.uuid4().hex[:12]}"
        call = EmulatedCall(call_id, caller, locale or default_locale())
        self._calls[call.conversation_id] = call
        update = self._activity(
            call,
            type="conversationUpdate",
            membersAdded=[{"id": caller, "name": caller}, {"id": "contoso-voicebot", "name": "Contoso Bank"}],
        )
        return call, await self.post(call, update)

    async def say(self, call: EmulatedCall, text: str) -> list[dict[str, Any]]:
        return await self.post(call, self._activity(call, type="message", text=text))

    async def press(self, call: EmulatedCall, keys: str) -> list[dict[str, Any]]:
        """Key presses the way the telephony channel sends them: one message per key."""
        replies: list[dict[str, Any]] = []
        for key in keys:
            replies += await self.post(
                call, self._activity(call, type="message", text=key, entities=[{"type": "DTMF"}])
            )
        return replies

    async def event(self, call: EmulatedCall, name: str, value: Any = None) -> list[dict[str, Any]]:
        return await self.post(call, self._activity(call, type="event", name=name, value=value))

    async def hang_up(self, call: EmulatedCall) -> list[dict[str, Any]]:
        return await self.post(call, self._activity(call, type="endOfConversation"))


def texts(replies: list[dict[str, Any]]) -> list[str]:
    """The spoken text of message replies."""
    return [r["text"] for r in replies if r.get("type") == "message" and r.get("text")]
