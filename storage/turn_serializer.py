"""Middleware that runs one turn at a time per conversation, across every bot instance."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import Middleware, Storage, TurnContext

from config import Settings, StorageBackend
from storage.conversation_locks import (
    ConversationLocks,
    CosmosConversationLocks,
    InProcessConversationLocks,
    RedisConversationLocks,
    TurnLockTimeout,
)

__all__ = [
    "TurnLockTimeout",
    "TurnSerializerMiddleware",
    "conversation_lock_key",
    "create_conversation_locks",
    "create_turn_serializer",
]


def conversation_lock_key(context: TurnContext) -> str | None:
    activity = context.activity
    if activity is None or activity.conversation is None or not activity.conversation.id:
        return None
    return f"{activity.channel_id}/{activity.conversation.id}"


class TurnSerializerMiddleware(Middleware):
    """Holds the conversation's lock around the rest of the pipeline (state load → dialog → state
    save), so two turns of one call that land on two instances run one after the other and the
    second sees the first one's state. The storages' e_tag check stays as the safety net: if the
    lock ever lapses, the late save fails with StorageConflictError instead of overwriting."""

    def __init__(self, locks: ConversationLocks) -> None:
        self._locks = locks

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[Any]]) -> None:
        key = conversation_lock_key(context)
        if key is None:
            await logic()
            return
        async with self._locks.hold(key):
            await logic()


def create_conversation_locks(settings: Settings, storage: Storage | None = None) -> ConversationLocks:
    """The lock matching the state backend: a Redis lock for ``redis``, a Cosmos lease for ``cosmos``
    (pass the CosmosStorage from ``create_storage``), in-process for ``sqlite``/``memory``."""
    if settings.storage is StorageBackend.REDIS:
        from redis.asyncio import Redis

        redis_client: Any = getattr(storage, "redis_client", None) or Redis.from_url(
            settings.redis.url,
            socket_timeout=settings.redis.timeout_seconds,
            socket_connect_timeout=settings.redis.timeout_seconds,
            decode_responses=True,
        )
        return RedisConversationLocks(redis_client, settings.redis.key_prefix)
    if settings.storage is StorageBackend.COSMOS:
        from storage.cosmos_storage import CosmosStorage

        if not isinstance(storage, CosmosStorage):
            raise ValueError("STORAGE=cosmos: pass the CosmosStorage from create_storage(settings)")
        return CosmosConversationLocks(storage)
    return InProcessConversationLocks()


def create_turn_serializer(settings: Settings, storage: Storage | None = None) -> TurnSerializerMiddleware:
    """The middleware on the lock matching the state backend (see ``create_conversation_locks``)."""
    return TurnSerializerMiddleware(create_conversation_locks(settings, storage))
