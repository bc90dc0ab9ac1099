"""Storage contract, the same for SQLite, Redis and Cosmos DB (real servers): botbuilder e_tag semantics."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from botbuilder.core import ConversationState, StoreItem, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from storage.cosmos_storage import CosmosStorage, cosmos_config
from storage.items import StorageConflictError
from storage.redis_storage import RedisStorage
from storage.sqlite_storage import SqliteStorage
from tests.support.servers import RunningServer

BACKENDS = ["sqlite", "redis", "cosmos"]


@pytest.fixture(params=BACKENDS)
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[object]:
    if request.param == "sqlite":
        store = SqliteStorage(tmp_path / "state.sqlite3")
        yield store
        await store.close()
    elif request.param == "redis":
        server: RunningServer = request.getfixturevalue("redis_server")
        store = RedisStorage.from_url(server.url, key_prefix=f"t{uuid.uuid4().hex[:6]}:", ttl_seconds=60)
        yield store
        await store.close()
    else:
        server = request.getfixturevalue("cosmos_server")
        yield CosmosStorage(cosmos_config(server.url, server.extra["key"], "voicebot", "state"))


def _key() -> str:
    return f"emulator/conversations/{uuid.uuid4().hex}"


async def test_reading_a_missing_key_returns_nothing(storage) -> None:
    assert await storage.read([_key()]) == {}
    assert await storage.read([]) == {}


async def test_write_then_read_round_trips_dicts_and_objects_with_an_etag(storage) -> None:
    k1, k2 = _key(), _key()
    await storage.write({k1: {"count": 1, "nested": {"locale": "es-MX"}}, k2: StoreItem(name="x", n=2)})
    got = await storage.read([k1, k2, _key()])
    assert set(got) == {k1, k2}
    assert got[k1]["count"] == 1 and got[k1]["nested"] == {"locale": "es-MX"}
    assert got[k1]["e_tag"]
    assert isinstance(got[k2], StoreItem) and got[k2].name == "x" and got[k2].n == 2
    assert got[k2].e_tag


async def test_write_with_the_current_etag_succeeds_and_renews_it(storage) -> None:
    key = _key()
    await storage.write({key: {"n": 1}})
    first = (await storage.read([key]))[key]
    old_etag = first["e_tag"]
    first["n"] = 2
    await storage.write({key: first})
    second = (await storage.read([key]))[key]
    assert second["n"] == 2
    assert second["e_tag"] and second["e_tag"] != old_etag


async def test_write_with_a_stale_etag_is_rejected_and_keeps_the_newer_value(storage) -> None:
    key = _key()
    await storage.write({key: {"n": 0}})
    a = (await storage.read([key]))[key]
    b = (await storage.read([key]))[key]
    a["n"] = 1
    await storage.write({key: a})
    b["n"] = 2
    with pytest.raises(StorageConflictError):
        await storage.write({key: b})
    assert isinstance(StorageConflictError("x"), KeyError)  # same family MemoryStorage raises
    assert (await storage.read([key]))[key]["n"] == 1


async def test_star_or_missing_etag_overwrites(storage) -> None:
    key = _key()
    await storage.write({key: {"n": 0}})
    await storage.write({key: {"n": 1}})
    assert (await storage.read([key]))[key]["n"] == 1
    await storage.write({key: {"n": 2, "e_tag": "*"}})
    assert (await storage.read([key]))[key]["n"] == 2


async def test_empty_etag_is_an_error(storage) -> None:
    with pytest.raises(ValueError):
        await storage.write({_key(): {"n": 1, "e_tag": ""}})


async def test_delete_removes_and_tolerates_missing_keys(storage) -> None:
    key = _key()
    await storage.write({key: {"n": 1}})
    await storage.delete([key, _key()])
    assert await storage.read([key]) == {}


async def test_second_save_in_the_same_turn_is_not_mistaken_for_stale(storage) -> None:
    key = _key()
    await storage.write({key: {"n": 0}})
    item = (await storage.read([key]))[key]
    item["n"] = 1
    await storage.write({key: item})
    item["n"] = 2
    await storage.write({key: item})
    assert (await storage.read([key]))[key]["n"] == 2


async def test_concurrent_writers_from_one_read_exactly_one_wins(storage) -> None:
    key = _key()
    await storage.write({key: {"winner": None}})
    snapshots = [(await storage.read([key]))[key] for _ in range(6)]
    for i, snap in enumerate(snapshots):
        snap["winner"] = i

    results = await asyncio.gather(*(storage.write({key: s}) for s in snapshots), return_exceptions=True)
    conflicts = [r for r in results if isinstance(r, StorageConflictError)]
    assert [r for r in results if isinstance(r, Exception) and r not in conflicts] == []
    assert len(conflicts) == len(snapshots) - 1
    winner = next(i for i, r in enumerate(results) if r is None)
    assert (await storage.read([key]))[key]["winner"] == winner


async def test_read_modify_write_with_retry_loses_no_increment(storage) -> None:
    key = _key()
    await storage.write({key: {"count": 0}})

    async def increment() -> None:
        while True:
            item = (await storage.read([key]))[key]
            item["count"] += 1
            try:
                await storage.write({key: item})
                return
            except StorageConflictError:
                await asyncio.sleep(0)

    await asyncio.gather(*(increment() for _ in range(10)))
    assert (await storage.read([key]))[key]["count"] == 10


async def test_conversation_state_with_dialog_objects_round_trips(storage) -> None:
    """BotState stores dialog stacks as objects; they must come back as the same types."""
    from botbuilder.dialogs import DialogInstance, DialogState

    activity = Activity(
        type=ActivityTypes.message,
        channel_id="emulator",
        text="hi",
        conversation=ConversationAccount(id=uuid.uuid4().hex),
        from_property=ChannelAccount(id="caller"),
        recipient=ChannelAccount(id="bot"),
    )
    state = ConversationState(storage)
    dialog_state = state.create_property("DialogState")
    ctx = TurnContext(TestAdapter(), activity)
    await state.load(ctx)
    stack = await dialog_state.get(ctx, DialogState)
    stack.dialog_stack.append(DialogInstance(id="pin", state={"attempts": 2}))
    await state.save_changes(ctx)

    ctx2 = TurnContext(TestAdapter(), activity)
    await ConversationState(storage).load(ctx2)
    state2 = ConversationState(storage)
    await state2.load(ctx2, force=True)
    restored = await state2.create_property("DialogState").get(ctx2, DialogState)
    assert isinstance(restored, DialogState)
    assert restored.dialog_stack[0].id == "pin" and restored.dialog_stack[0].state == {"attempts": 2}
