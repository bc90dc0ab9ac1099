"""The real bot, two app instances on one Redis, each with TurnSerializerMiddleware: simultaneous turns
of one call are applied one after the other instead of failing on the e_tag."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from adapters.emulator import EmulatorChannel, texts
from app import SERVICES_KEY, create_app
from storage.turn_serializer import create_turn_serializer
from tests.support.bot_harness import make_test_settings

pytestmark = pytest.mark.timeout(600)


@asynccontextmanager
async def _instance(settings, recognizer, serialise: bool) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    app = await create_app(settings, recognizer)
    services = app[SERVICES_KEY]
    if serialise:  # what app.py does once it installs the middleware
        services.adapter.use(create_turn_serializer(settings, services.storage))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/api/messages"))
    finally:
        await server.close()


async def _simultaneous_turns(a_url: str, b_url: str) -> str:
    async with EmulatorChannel(a_url) as channel:
        call, _ = await channel.start_call(caller="+14255550100")
        first = channel.post(call, channel._activity(call, type="message", text="how much money do I have"))
        channel.bot_url = b_url
        second = channel.post(
            call, channel._activity(call, type="message", text="what is my checking balance")
        )
        await asyncio.gather(first, second)
        return " ".join(texts(call.replies))


async def test_simultaneous_turns_on_two_instances_are_both_applied(
    redis_server, tmp_path: Path, knowledge_index_dir, trained_recognizer
) -> None:
    """Without the lock the later save fails on the e_tag and the caller hears an apology (seen by
    hand; timing-dependent, so the deterministic version is test_turn_serializer's)."""
    settings = make_test_settings(
        tmp_path, knowledge_index_dir, storage="redis",
        redis={"url": redis_server.url, "key_prefix": f"rb{uuid.uuid4().hex[:6]}:"},
    )  # fmt: skip
    async with (
        _instance(settings, trained_recognizer, True) as a_url,
        _instance(settings, trained_recognizer, True) as b_url,
    ):
        said = await _simultaneous_turns(a_url, b_url)
    assert "went wrong" not in said, said  # both turns applied, one after the other
    assert "PIN" in said
