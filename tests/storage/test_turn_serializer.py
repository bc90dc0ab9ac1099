"""Turns of one conversation arriving at two instances at once: neither update is lost."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from botbuilder.core import ConversationState, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount
from redis.asyncio import Redis

from config import Settings
from storage.conversation_locks import (
    CosmosConversationLocks,
    InProcessConversationLocks,
    RedisConversationLocks,
    TurnLockTimeout,
)
from storage.cosmos_storage import CosmosStorage, cosmos_config
from storage.items import StorageConflictError
from storage.redis_storage import RedisStorage
from storage.sqlite_storage import SqliteStorage
from storage.turn_serializer import TurnSerializerMiddleware, create_turn_serializer


class Instance:
    """One bot instance: its own adapter, state and middleware, sharing only the storage backend."""

    def __init__(self, storage, middleware: TurnSerializerMiddleware | None) -> None:
        self.adapter = TestAdapter()
        if middleware is not None:
            self.adapter.use(middleware)
        self.state = ConversationState(storage)
        self.counter = self.state.create_property("counter")

    async def turn(self, conversation_id: str, text: str) -> None:
        activity = Activity(
            type=ActivityTypes.message,
            channel_id="telephony",
            text=text,
            conversation=ConversationAccount(id=conversation_id),
            from_property=ChannelAccount(id="caller"),
            recipient=ChannelAccount(id="bot"),
        )

        async def logic(context: TurnContext) -> None:
            await self.state.load(context)
            seen = await self.counter.get(context, lambda: [])
            await asyncio.sleep(0.02)  # the dialog thinking: wide window for a race
            await self.counter.set(context, [*seen, context.activity.text])
            await self.state.save_changes(context)

        await self.adapter.run_pipeline(TurnContext(self.adapter, activity), logic)


@pytest.fixture(params=["sqlite", "redis", "cosmos"])
async def two_instances(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple]:
    """Two instances and a function that makes a fresh reader; each backend with its own lock."""
    if request.param == "sqlite":
        store = SqliteStorage(tmp_path / "state.db")
        shared = TurnSerializerMiddleware(InProcessConversationLocks())  # sqlite = one process
        yield Instance(store, shared), Instance(store, shared), store
        await store.close()
    elif request.param == "redis":
        server = request.getfixturevalue("redis_server")
        prefix = f"ts{uuid.uuid4().hex[:6]}:"
        a = RedisStorage.from_url(server.url, prefix)
        b = RedisStorage.from_url(server.url, prefix)
        yield (
            Instance(a, TurnSerializerMiddleware(RedisConversationLocks(a.redis_client, prefix))),
            Instance(b, TurnSerializerMiddleware(RedisConversationLocks(b.redis_client, prefix))),
            a,
        )
        await a.close()
        await b.close()
    else:
        server = request.getfixturevalue("cosmos_server")
        a = CosmosStorage(cosmos_config(server.url, server.extra["key"], "voicebot", "serializer"))
        b = CosmosStorage(cosmos_config(server.url, server.extra["key"], "voicebot", "serializer"))
        yield (
            Instance(a, TurnSerializerMiddleware(CosmosConversationLocks(a))),
            Instance(b, TurnSerializerMiddleware(CosmosConversationLocks(b))),
            a,
        )


async def test_concurrent_turns_on_two_instances_keep_every_update(two_instances) -> None:
    first, second, store = two_instances
    conversation = uuid.uuid4().hex
    turns = [(first if i % 2 == 0 else second).turn(conversation, f"u{i}") for i in range(8)]
    await asyncio.gather(*turns)

    state = await store.read([f"telephony/conversations/{conversation}"])
    saved = state[f"telephony/conversations/{conversation}"]["counter"]
    assert sorted(saved) == sorted(f"u{i}" for i in range(8))


async def test_without_the_serializer_the_late_turn_fails_loudly_instead_of_overwriting(
    tmp_path: Path,
) -> None:
    store = SqliteStorage(tmp_path / "state.db")
    first, second = Instance(store, None), Instance(store, None)
    conversation = uuid.uuid4().hex
    await first.turn(conversation, "hello")  # state exists, with an e_tag
    results = await asyncio.gather(
        first.turn(conversation, "a"), second.turn(conversation, "b"), return_exceptions=True
    )
    assert sum(isinstance(r, StorageConflictError) for r in results) == 1
    saved = await store.read([f"telephony/conversations/{conversation}"])
    assert len(saved[f"telephony/conversations/{conversation}"]["counter"]) == 2  # hello + the winner
    await store.close()


async def test_redis_lock_of_a_dead_instance_lapses_and_the_other_takes_over(redis_server) -> None:
    client = Redis.from_url(redis_server.url, decode_responses=True)
    prefix = f"dead{uuid.uuid4().hex[:6]}:"
    # A holder that died mid-turn: its lock is there, nobody renews it.
    await client.set(prefix + "turnlock:telephony/c1", "someone-else", px=300)
    locks = RedisConversationLocks(client, prefix, ttl_ms=300, acquire_timeout=2.0)
    started = time.monotonic()
    async with locks.hold("telephony/c1"):
        waited = time.monotonic() - started
        assert await client.get(prefix + "turnlock:telephony/c1") not in (None, "someone-else")
    assert 0.15 < waited < 1.5
    assert await client.get(prefix + "turnlock:telephony/c1") is None  # released by its owner
    await client.aclose()


async def test_redis_lock_is_renewed_while_a_long_turn_runs(redis_server) -> None:
    client = Redis.from_url(redis_server.url, decode_responses=True)
    prefix = f"long{uuid.uuid4().hex[:6]}:"
    locks = RedisConversationLocks(client, prefix, ttl_ms=300, acquire_timeout=0.2)
    async with locks.hold("c"):
        await asyncio.sleep(0.8)  # longer than the ttl
        other = RedisConversationLocks(client, prefix, ttl_ms=300, acquire_timeout=0.2)

        async def second_instance() -> None:
            async with other.hold("c"):
                pass

        with pytest.raises(TurnLockTimeout):
            await asyncio.create_task(second_instance())
    await client.aclose()


async def test_redis_lock_is_let_go_when_a_turn_ends_during_a_renewal(redis_server) -> None:
    """Turns that end while the lock is being renewed leave it at once, every time: a renewer cancelled
    inside a renewal used to sleep on for ever, and the turn never left its lock."""
    client = Redis.from_url(redis_server.url, decode_responses=True)
    locks = RedisConversationLocks(client, f"end{uuid.uuid4().hex[:6]}:", ttl_ms=30, acquire_timeout=1)
    for _ in range(100):
        async with asyncio.timeout(2):
            async with locks.hold("c"):
                await asyncio.sleep(0.011)  # renewed every 10 ms: the turn ends near a renewal
    await client.aclose()


async def test_cosmos_lease_of_a_dead_instance_lapses_and_the_other_takes_over(cosmos_server) -> None:
    store = CosmosStorage(cosmos_config(cosmos_server.url, cosmos_server.extra["key"], "voicebot", "leases"))
    dead = CosmosConversationLocks(store, ttl_seconds=0.3)
    await asyncio.to_thread(dead._try_acquire, dead._doc_id("c"), "dead-token")  # never released
    live = CosmosConversationLocks(store, ttl_seconds=5, acquire_timeout=3)
    started = time.monotonic()
    async with live.hold("c"):
        assert time.monotonic() - started > 0.2
    quick = CosmosConversationLocks(store, acquire_timeout=0.5)
    async with quick.hold("c"):  # released, so free at once
        pass


async def test_redis_lock_survives_one_lost_answer_and_owns_a_set_that_landed(redis_server) -> None:
    """The SET NX reaches Redis but its answer is lost (timeout): the retry sees our own token and
    goes ahead instead of waiting for the lock to lapse."""
    client = Redis.from_url(redis_server.url, decode_responses=True)
    prefix = f"lost{uuid.uuid4().hex[:6]}:"
    real_set = client.set
    calls = {"n": 0}

    async def set_then_lose_answer(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        result = await real_set(*args, **kwargs)
        if calls["n"] == 1:
            from redis.exceptions import TimeoutError as RedisTimeout

            raise RedisTimeout("answer lost")
        return result

    client.set = set_then_lose_answer  # type: ignore[method-assign]
    locks = RedisConversationLocks(client, prefix, ttl_ms=10_000, acquire_timeout=1.0)
    started = time.monotonic()
    async with locks.hold("c"):
        assert time.monotonic() - started < 0.5
    assert await client.get(prefix + "turnlock:c") is None
    await client.aclose()


async def test_redis_down_fails_the_lock_fast() -> None:
    from storage.items import StorageUnavailableError
    from tests.support.servers import free_port

    client = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5)
    locks = RedisConversationLocks(client, acquire_timeout=20)
    started = time.monotonic()
    with pytest.raises(StorageUnavailableError):
        async with locks.hold("c"):
            pass
    assert time.monotonic() - started < 3
    await client.aclose()


async def test_a_turn_that_reenters_its_own_conversation_does_not_deadlock() -> None:
    locks = InProcessConversationLocks(acquire_timeout=0.5)
    async with locks.hold("c"), locks.hold("c"):
        pass


async def test_a_task_spawned_during_a_turn_does_not_inherit_the_lock() -> None:
    locks = InProcessConversationLocks(acquire_timeout=0.05)
    async with locks.hold("c"):

        async def timer_turn() -> None:
            async with locks.hold("c"):
                pass

        with pytest.raises(TurnLockTimeout):
            await asyncio.create_task(timer_turn())


async def test_in_process_lock_times_out_with_a_named_error() -> None:
    locks = InProcessConversationLocks(acquire_timeout=0.05)
    entered = asyncio.Event()

    async def holder() -> None:
        async with locks.hold("c"):
            entered.set()
            await asyncio.sleep(0.3)

    task = asyncio.create_task(holder())
    await entered.wait()
    with pytest.raises(TurnLockTimeout):
        async with locks.hold("c"):
            pass
    await task


def test_factory_chooses_the_lock_for_the_backend(tmp_path: Path) -> None:
    from storage.factory import create_storage

    sqlite = create_turn_serializer(Settings(data_dir=tmp_path))
    assert isinstance(sqlite._locks, InProcessConversationLocks)
    settings = Settings(storage="redis")
    assert isinstance(
        create_turn_serializer(settings, create_storage(settings))._locks, RedisConversationLocks
    )
    settings = Settings(storage="cosmos", cosmos={"endpoint": "http://127.0.0.1:1/", "key": "a2V5"})
    assert isinstance(
        create_turn_serializer(settings, create_storage(settings))._locks, CosmosConversationLocks
    )
