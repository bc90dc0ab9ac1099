"""Runs Microsoft's Node streaming client (tests/support/streaming/driver.js) against the bot's WebSocket."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from config import PROJECT_ROOT

DRIVER_DIR = PROJECT_ROOT / "tests" / "support" / "streaming"


def node_client_available() -> bool:
    return (
        shutil.which("node") is not None and (DRIVER_DIR / "node_modules" / "botframework-streaming").is_dir()
    )


def require_node_client() -> None:
    if not node_client_available():
        pytest.skip("Node or npm botframework-streaming missing: run scripts/install_test_servers.sh")


class UpgradeRefused(Exception):
    """The bot answered the WebSocket upgrade with an HTTP status instead of switching protocols."""

    def __init__(self, status: int) -> None:
        super().__init__(f"upgrade refused with {status}")
        self.status = status


class NodeStreamingClient:
    """One socket: ``send`` an activity, get the bot's answer and every activity it sent meanwhile."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self._ids = 0
        self.received: list[dict[str, Any]] = []  # every request the bot sent, in order
        self._answers: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self.disconnected = asyncio.Event()

    async def _read(self) -> None:
        assert self._process.stdout is not None
        async for line in self._process.stdout:
            message = json.loads(line)
            if message["event"] == "request":
                self.received.append(message)
            elif message["event"] == "response":
                self._answers.pop(message["id"]).set_result(message)
            elif message["event"] == "disconnected":
                self.disconnected.set()
        self.disconnected.set()

    async def send(
        self, activity: dict[str, Any], wait: float = 60
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The bot's response to this activity and the activities it sent back while handling it."""
        assert self._process.stdin is not None
        self._ids += 1
        key = str(self._ids)
        before = len(self.received)
        self._answers[key] = asyncio.get_running_loop().create_future()
        self._process.stdin.write((json.dumps({"id": key, "send": activity}) + "\n").encode())
        await self._process.stdin.drain()
        answer = await asyncio.wait_for(self._answers[key], wait)
        return answer, [request["body"] for request in self.received[before:]]


@asynccontextmanager
async def node_streaming_client(
    url: str, headers: dict[str, str] | None = None
) -> AsyncIterator[NodeStreamingClient]:
    """Connect Microsoft's WebSocketClient to ``url``; raises UpgradeRefused when the bot refuses it."""
    process = await asyncio.create_subprocess_exec(
        "node",
        str(DRIVER_DIR / "driver.js"),
        url,
        json.dumps(headers or {}),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=DRIVER_DIR,
    )
    try:
        assert process.stdout is not None
        first = json.loads(await asyncio.wait_for(process.stdout.readline(), 30))
        if first["event"] == "rejected":
            raise UpgradeRefused(first["status"])
        client = NodeStreamingClient(process)
        client._reader = asyncio.create_task(client._read())
        yield client
    finally:
        if process.returncode is None:
            if process.stdin is not None and not process.stdin.is_closing():
                process.stdin.write(b'{"close": true}\n')
                process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
