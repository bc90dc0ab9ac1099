"""Conversation state saved with one flattening: the same writes, hash and e_tag checks as botbuilder's."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from botbuilder.core import ConversationState, MemoryStorage, Storage, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import DialogInstance, DialogState
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from storage.conversation_state import ConversationStateFlattenedOnce
from storage.items import StorageConflictError
from storage.sqlite_storage import SqliteStorage


class CountingStorage(Storage):
    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.writes = 0

    async def read(self, keys: list[str]) -> dict[str, Any]:
        return await self.inner.read(keys)

    async def write(self, changes: dict[str, Any]) -> None:
        self.writes += 1
        await self.inner.write(changes)

    async def delete(self, keys: list[str]) -> None:
        await self.inner.delete(keys)


@pytest.fixture(params=["sqlite", "memory"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CountingStorage]:
    inner = SqliteStorage(tmp_path / "s.sqlite3") if request.param == "sqlite" else MemoryStorage()
    yield CountingStorage(inner)
    if isinstance(inner, SqliteStorage):
        await inner.close()


def _context() -> TurnContext:
    activity = Activity(
        type=ActivityTypes.message,
        channel_id="msteams",
        text="hi",
        conversation=ConversationAccount(id=uuid.uuid4().hex),
        from_property=ChannelAccount(id="caller"),
        recipient=ChannelAccount(id="bot"),
    )
    return TurnContext(TestAdapter(), activity)


async def _turn(state: ConversationState, context: TurnContext, attempts: int | None) -> None:
    """One turn: load, (maybe) change the PIN dialog's attempts, save."""
    fresh = TurnContext(context.adapter, context.activity)
    await state.load(fresh)
    stack = await state.create_property("DialogState").get(fresh, DialogState)
    if attempts is not None:
        stack.dialog_stack[:] = [DialogInstance(id="pin", state={"attempts": attempts})]
    await state.save_changes(fresh)
    cached = state.get_cached_state(fresh)
    assert cached.hash == cached.compute_hash(cached.state)  # what botbuilder's own save leaves


async def test_a_turn_that_changes_state_writes_it_once_and_an_unchanged_turn_writes_nothing(store) -> None:
    state, context = ConversationStateFlattenedOnce(store), _context()
    await _turn(state, context, attempts=1)
    await _turn(state, context, attempts=2)
    assert store.writes == 2
    await _turn(state, context, attempts=None)
    assert store.writes == 2
    fresh = TurnContext(context.adapter, context.activity)
    plain = ConversationState(store)  # read back through botbuilder's own class
    await plain.load(fresh, force=True)
    stack = await plain.create_property("DialogState").get(fresh, DialogState)
    assert stack.dialog_stack[0].state == {"attempts": 2}


async def test_a_save_over_a_newer_write_is_still_refused(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "s.sqlite3")
    state, context = ConversationStateFlattenedOnce(storage), _context()
    await _turn(state, context, attempts=1)
    stale = TurnContext(context.adapter, context.activity)
    await state.load(stale)
    await _turn(state, context, attempts=2)  # another instance's turn saved meanwhile
    stack = await state.create_property("DialogState").get(stale, DialogState)
    stack.dialog_stack[:] = [DialogInstance(id="pin", state={"attempts": 9})]
    with pytest.raises(StorageConflictError):
        await state.save_changes(stale)
    await storage.close()
