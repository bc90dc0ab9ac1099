"""Handoff records in the bot's session store (any botbuilder-style key-value Storage) plus a live feed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from typing import Any, Protocol

from services.handoff.base import HandoffNotFound
from services.handoff.models import HandoffRecord, PostCallRecord

logger = logging.getLogger(__name__)

KEY_PREFIX = "handoff/"
INDEX_KEY = "handoff/index"
INDEX_SIZE = 200
"""The console lists the most recent handoffs; older ones stay readable by id."""
INDEX_WRITE_ATTEMPTS = 10
INDEX_RETRY_BASE_SECONDS = 0.002


class KeyValueStorage(Protocol):
    """The async key-value interface of botbuilder's ``Storage`` (memory, SQLite, Redis, Cosmos)."""

    async def read(self, keys: list[str]) -> dict[str, Any]: ...

    async def write(self, changes: dict[str, Any]) -> None: ...

    async def delete(self, keys: list[str]) -> None: ...


class InMemoryKeyValueStorage:
    """A dict behind the storage interface, for tests and single-process demos."""

    def __init__(self) -> None:
        self._items: dict[str, Any] = {}

    async def read(self, keys: list[str]) -> dict[str, Any]:
        return {key: dict(self._items[key]) for key in keys if key in self._items}

    async def write(self, changes: dict[str, Any]) -> None:
        self._items.update({key: dict(value) for key, value in changes.items()})

    async def delete(self, keys: list[str]) -> None:
        for key in keys:
            self._items.pop(key, None)


def record_key(handoff_id: str) -> str:
    return f"{KEY_PREFIX}{handoff_id}"


def call_key(conversation_id: str) -> str:
    return f"{KEY_PREFIX}call/{conversation_id}"


def _payload(item: Any) -> dict[str, Any]:
    """botbuilder storages hand back dicts (possibly with an ``e_tag``); unwrap and drop bookkeeping."""
    data = dict(item) if isinstance(item, dict) else dict(vars(item))
    data.pop("e_tag", None)
    return data


class HandoffStore:
    """Reads and writes handoff records under ``handoff/<id>`` and keeps an index of recent ones."""

    def __init__(self, storage: KeyValueStorage) -> None:
        self._storage = storage
        self._index_lock = asyncio.Lock()

    async def save(self, record: HandoffRecord) -> None:
        record.touch()
        await self._storage.write({record_key(record.handoff_id): record.model_dump(mode="json")})

    async def ensure_index(self) -> None:
        """Create the empty index at start-up. botbuilder storages cannot create-if-absent, so two
        instances creating it while both escalate could drop an entry; once it exists, writes are
        e_tag-checked."""
        if not (await self._storage.read([INDEX_KEY])).get(INDEX_KEY):
            await self._storage.write({INDEX_KEY: {"ids": []}})

    async def add(self, record: HandoffRecord) -> None:
        """Store a new record and put it at the head of the index."""
        await self.save(record)
        async with self._index_lock:
            for attempt in range(INDEX_WRITE_ATTEMPTS):
                if attempt:
                    # Randomised exponential back-off: two instances that keep colliding in lock-step
                    # (seen on a loaded 2-core machine) fall out of step instead of exhausting attempts.
                    await asyncio.sleep(random.uniform(0, INDEX_RETRY_BASE_SECONDS * 2**attempt))
                found = (await self._storage.read([INDEX_KEY])).get(INDEX_KEY)
                ids = list(_payload(found).get("ids", [])) if found is not None else []
                ids = [record.handoff_id, *(i for i in ids if i != record.handoff_id)][:INDEX_SIZE]
                item: dict[str, Any] = {"ids": ids}
                etag = found.get("e_tag") if isinstance(found, dict) else None
                if etag:
                    item["e_tag"] = etag  # another instance may be adding at the same moment
                try:
                    await self._storage.write({INDEX_KEY: item})
                except KeyError:  # botbuilder's e_tag conflict (StorageConflictError is a KeyError)
                    continue
                # Creating the index cannot be conditional: check that a concurrent creation kept us.
                if record.handoff_id in await self.recent_ids():
                    return
            logger.warning(
                "handoff index busy: record stored but not listed", extra={"handoff_id": record.handoff_id}
            )

    async def get(self, handoff_id: str) -> HandoffRecord:
        found = await self._storage.read([record_key(handoff_id)])
        item = found.get(record_key(handoff_id))
        if item is None:
            raise HandoffNotFound(handoff_id)
        return HandoffRecord.model_validate(_payload(item))

    async def recent_ids(self) -> list[str]:
        found = await self._storage.read([INDEX_KEY])
        item = found.get(INDEX_KEY)
        return list(_payload(item).get("ids", [])) if item is not None else []

    async def recent(self, limit: int = 50) -> list[HandoffRecord]:
        """Newest first; ids whose record has gone (deleted, expired) are skipped."""
        ids = (await self.recent_ids())[:limit]
        if not ids:
            return []
        found = await self._storage.read([record_key(i) for i in ids])
        return [
            HandoffRecord.model_validate(_payload(found[record_key(i)]))
            for i in ids
            if record_key(i) in found
        ]

    async def save_call(self, record: PostCallRecord) -> None:
        await self._storage.write({call_key(record.conversation_id): record.model_dump(mode="json")})

    async def get_call(self, conversation_id: str) -> PostCallRecord | None:
        found = await self._storage.read([call_key(conversation_id)])
        item = found.get(call_key(conversation_id))
        return PostCallRecord.model_validate(_payload(item)) if item is not None else None


CLOSED_EVENT: dict[str, Any] = {"type": "closed"}


class HandoffEvents:
    """In-process publish/subscribe for the live agent queue (one asyncio queue per subscriber)."""

    def __init__(self, max_pending: int = 100) -> None:
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._max_pending = max_pending

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def publish(self, event: dict[str, Any]) -> None:
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                # A console that stopped reading must not hold the bot up: drop it, it reconnects.
                self._subscribers.discard(queue)
                logger.warning("agent console subscriber dropped: too far behind")

    def close(self) -> None:
        """Tell every subscriber to finish (server shutdown): they receive a ``closed`` event."""
        for queue in list(self._subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(CLOSED_EVENT)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self._max_pending)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)
