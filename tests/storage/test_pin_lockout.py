"""PIN lockout counters on each real state backend: 5 wrong PINs in 15 minutes lock for 30, across
instances, with parallel guesses counted before they are checked; nothing personal in the stored keys."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from config import PinLockoutSettings
from storage.conversation_locks import (
    CosmosConversationLocks,
    InProcessConversationLocks,
    RedisConversationLocks,
)
from storage.cosmos_storage import CosmosStorage, cosmos_config
from storage.pin_lockout import PinLockout
from storage.redis_storage import RedisStorage
from storage.sqlite_storage import SqliteStorage
from tests.support.servers import RunningServer

SETTINGS = PinLockoutSettings()  # the defaults: 5 failures / 15 min -> locked 30 min
CUSTOMER, PHONE = "C1001", "+14255550100"


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "redis", "cosmos"])
async def instances(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Clock, Callable[[], PinLockout], object]]:
    """A clock and a factory of lockouts that share one store, each like a separate bot instance."""
    clock = Clock()
    closers: list = []
    if request.param == "sqlite":
        shared = SqliteStorage(tmp_path / "state.sqlite3")
        closers.append(shared.close)
        locks = InProcessConversationLocks()

        def make() -> PinLockout:
            return PinLockout(shared, locks, SETTINGS, clock)

        yield clock, make, shared
    elif request.param == "redis":
        server: RunningServer = request.getfixturevalue("redis_server")
        prefix = f"pin{uuid.uuid4().hex[:6]}:"

        def make() -> PinLockout:
            store = RedisStorage.from_url(server.url, key_prefix=prefix, ttl_seconds=3600)
            closers.append(store.close)
            return PinLockout(store, RedisConversationLocks(store.redis_client, prefix), SETTINGS, clock)

        yield clock, make, (server, prefix)
    else:
        server = request.getfixturevalue("cosmos_server")
        container = f"pin{uuid.uuid4().hex[:6]}"

        def make() -> PinLockout:
            store = CosmosStorage(cosmos_config(server.url, server.extra["key"], "voicebot", container))
            return PinLockout(store, CosmosConversationLocks(store), SETTINGS, clock)

        yield clock, make, None
    for close in closers:
        await close()


async def test_fifth_wrong_pin_locks_and_the_sixth_is_refused(instances) -> None:
    clock, make, _ = instances
    lockout = make()
    subjects = lockout.subjects(CUSTOMER)
    for n in range(1, 5):
        attempt = await lockout.begin(subjects)
        assert attempt.allowed and not attempt.locking, n
        clock.now += 60
    fifth = await lockout.begin(subjects)
    assert fifth.allowed and [s.kind for s in fifth.locking] == ["customer"]
    assert await lockout.is_locked(subjects)
    assert not (await lockout.begin(subjects)).allowed
    clock.now += SETTINGS.lock_seconds - 1
    assert not (await lockout.begin(subjects)).allowed  # refusals do not extend nor count
    clock.now += 2
    assert not await lockout.is_locked(subjects)
    assert (await lockout.begin(subjects)).allowed  # a fresh window after the lock


async def test_failures_older_than_the_window_do_not_count(instances) -> None:
    clock, make, _ = instances
    lockout = make()
    subjects = lockout.subjects(CUSTOMER)
    for _ in range(4):
        await lockout.begin(subjects)
    clock.now += SETTINGS.window_seconds + 1
    for _ in range(4):
        assert not (await lockout.begin(subjects)).locking
    assert not await lockout.is_locked(subjects)


async def test_a_right_pin_clears_the_customer_count_but_not_the_caller_numbers(instances) -> None:
    _, make, _ = instances
    lockout = make()
    customer, number = lockout.subjects(CUSTOMER, PHONE)
    for _ in range(4):
        await lockout.begin([customer, number])
    await lockout.succeeded(customer)
    for _ in range(4):
        assert not (await lockout.begin([customer])).locking
    # The calling number kept its four: one more guess from it (at any customer) locks it.
    other = lockout.subject("customer", "C9999")
    assert [s.kind for s in (await lockout.begin([other, number])).locking] == ["caller_number"]
    assert await lockout.is_locked([lockout.subject("customer", "C1002"), number])


async def test_parallel_guesses_on_two_instances_get_exactly_five_tries(instances) -> None:
    _, make, _ = instances
    first, second = make(), make()
    subjects = first.subjects(CUSTOMER)
    attempts = await asyncio.gather(
        *(instance.begin(subjects) for _ in range(6) for instance in (first, second))
    )
    assert sum(a.allowed for a in attempts) == SETTINGS.max_failures
    assert sum(bool(a.locking) for a in attempts) == 1
    assert await second.is_locked(subjects)


async def test_stored_counters_name_neither_the_customer_nor_the_phone_number(instances) -> None:
    _, make, store = instances
    lockout = make()
    subjects = lockout.subjects(CUSTOMER, PHONE)
    for _ in range(5):
        await lockout.begin(subjects)
    keys = [s.key for s in subjects]
    assert all(CUSTOMER not in key and "5550100" not in key for key in keys)
    if isinstance(store, SqliteStorage):
        stored = json.dumps(await store.read(keys))
        assert CUSTOMER not in stored and "5550100" not in stored
    elif isinstance(store, tuple):  # Redis: every key the lockout wrote, with its value
        import redis

        server, prefix = store
        client = redis.Redis.from_url(server.url, decode_responses=True)
        try:
            dump = {k: client.get(k) for k in client.scan_iter(f"{prefix}*")}
        finally:
            client.close()
        assert dump and not any(CUSTOMER in k + str(v) or "5550100" in k + str(v) for k, v in dump.items())
