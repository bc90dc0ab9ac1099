"""A conversation's requests on one streaming socket are taken in the order they arrived, whatever order
their bodies complete in; other conversations on the socket are not held up.

Frames go through botframework-streaming's own receive loop and assemblers into the bot's request
handler; only the socket and the activity processor (what runs a turn) are stand-ins.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import Any

from botbuilder.core import ActivityHandler, InvokeResponse
from botbuilder.core.streaming import StreamingActivityProcessor
from botbuilder.schema import Activity
from botframework.streaming.transport.web_socket import (
    WebSocket,
    WebSocketCloseStatus,
    WebSocketMessage,
    WebSocketMessageType,
    WebSocketState,
)

from adapters.streaming_channel import CheckedStreamingRequestHandler, StreamingSocketClosed, stop_send_queue


def frame(kind: str, identifier: uuid.UUID, payload: bytes) -> list[bytes]:
    """One payload as both SDKs send it: the 48-byte header message, then the payload message."""
    return [f"{kind}.{len(payload):06d}.{identifier}.1\n".encode(), payload]


class Request:
    """A streaming request carrying one activity: its request frames and, separately, its body frames."""

    def __init__(self, conversation: str, text: str, body: bytes | None = None) -> None:
        activity = {
            "type": "message",
            "text": text,
            "channelId": "telephony",
            "serviceUrl": "urn:botframework:websocket:telephony",
            "conversation": {"id": conversation},
            "from": {"id": "caller"},
            "recipient": {"id": "bot"},
        }
        self.body = json.dumps(activity).encode() if body is None else body
        self.id, self._stream = uuid.uuid4(), uuid.uuid4()
        streams = [
            {"id": str(self._stream), "type": "application/json; charset=utf-8", "length": len(self.body)}
        ]
        self.header = frame(
            "A", self.id, json.dumps({"verb": "POST", "path": "/api/messages", "streams": streams}).encode()
        )
        self.content = frame("S", self._stream, self.body)


class ChannelEnd(WebSocket):
    """The channel's end of the socket: delivers the frames the test plays, keeps what the bot sends."""

    def __init__(self) -> None:
        self._incoming: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._sent: list[bytes] = []
        self._sent_more = asyncio.Event()
        self._open = True

    def play(self, *messages: bytes) -> None:
        for message in messages:
            self._incoming.put_nowait(message)

    def hang_up(self) -> None:
        self._incoming.put_nowait(None)

    def answers(self) -> dict[uuid.UUID, int]:
        """Status of every response the bot sent, by the id of the request it answers."""
        found = {}
        for header, payload in zip(self._sent, self._sent[1:], strict=False):
            if len(header) == 48 and header.startswith(b"B."):
                found[uuid.UUID(header[9:45].decode())] = json.loads(payload)["statusCode"]
        return found

    async def until(self, condition: Callable[[dict[uuid.UUID, int]], bool]) -> None:
        """Wait (at most 30 s: a hang fails the test) until the answers sent satisfy ``condition``."""
        async with asyncio.timeout(30):
            while not condition(self.answers()):
                self._sent_more.clear()
                await self._sent_more.wait()

    async def receive(self) -> WebSocketMessage:
        message = await self._incoming.get()
        if message is None:
            self._open = False
            raise StreamingSocketClosed("hung up")
        return WebSocketMessage(message_type=WebSocketMessageType.BINARY, data=list(message))

    async def send(self, buffer: Any, message_type: WebSocketMessageType, end_of_message: bool) -> None:
        self._sent.append(bytes(byte for byte in buffer if byte is not None))
        self._sent_more.set()

    async def close(self, close_status: WebSocketCloseStatus, status_description: str) -> None:
        self._open = False

    def dispose(self) -> None:
        pass

    @property
    def status(self) -> WebSocketState:
        return WebSocketState.OPEN if self._open else WebSocketState.CLOSED


class Turns(StreamingActivityProcessor):
    """Stands in for the adapter: records which turns start, in what order, and whether two turns of one
    conversation ever ran at once; a turn whose text has a gate waits for it."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}
        self.overlapped = False
        self._running: set[str] = set()

    async def process_streaming_activity(
        self, activity: Activity, bot_callback_handler: Any
    ) -> InvokeResponse:
        conversation = activity.conversation.id
        self.overlapped |= conversation in self._running
        self._running.add(conversation)
        self.started.append(f"{conversation}:{activity.text}")
        if activity.text in self.gates:
            await self.gates[activity.text].wait()
        await asyncio.sleep(0)  # a turn does awaited work
        self._running.discard(conversation)
        return InvokeResponse(status=200)


async def settle() -> None:
    """Let every task run until it waits for something only the test can give (the loop has no I/O)."""
    for _ in range(50):
        await asyncio.sleep(0)


class Socket:
    def __init__(self) -> None:
        self.channel = ChannelEnd()
        self.turns = Turns()
        self.handler = CheckedStreamingRequestHandler(ActivityHandler(), self.turns, self.channel)

    async def __aenter__(self) -> Socket:
        self._listening = asyncio.create_task(self.handler.listen())
        return self

    async def __aexit__(self, *_: object) -> None:
        self.channel.hang_up()
        await self._listening
        stop_send_queue(self.handler._server)


async def test_bodies_completing_in_reverse_order_still_give_the_turns_in_arrival_order() -> None:
    keys = [Request("call-a", digit) for digit in "1234"]
    async with Socket() as socket:
        for key in keys:
            socket.channel.play(*key.header)
        await settle()  # each request now waits for its body
        for key in reversed(keys):  # the last key's body completes first
            socket.channel.play(*key.content)
        await socket.channel.until(lambda answers: len(answers) == 4)
    assert socket.turns.started == ["call-a:1", "call-a:2", "call-a:3", "call-a:4"]
    assert not socket.turns.overlapped
    assert socket.channel.answers() == {key.id: 200 for key in keys}


async def test_a_turn_in_progress_holds_up_its_own_conversation_only() -> None:
    slow, next_key, other = Request("call-a", "slow"), Request("call-a", "2"), Request("call-b", "hello")
    async with Socket() as socket:
        socket.turns.gates["slow"] = gate = asyncio.Event()
        for request in (slow, next_key, other):
            socket.channel.play(*request.header, *request.content)
        await socket.channel.until(lambda answers: other.id in answers)
        assert socket.turns.started == ["call-a:slow", "call-b:hello"]  # call-a's next key waits
        gate.set()
        await socket.channel.until(lambda answers: len(answers) == 3)
    assert socket.turns.started == ["call-a:slow", "call-b:hello", "call-a:2"]
    assert not socket.turns.overlapped


async def test_a_request_refused_before_naming_its_conversation_holds_nobody_up() -> None:
    unreadable, key = Request("call-a", "1", body=b"{not json"), Request("call-a", "2")
    async with Socket() as socket:
        socket.channel.play(*unreadable.header, *key.header)
        await settle()
        socket.channel.play(*key.content, *unreadable.content)
        await socket.channel.until(lambda answers: len(answers) == 2)
    assert socket.channel.answers() == {unreadable.id: 400, key.id: 200}
    assert socket.turns.started == ["call-a:2"]
