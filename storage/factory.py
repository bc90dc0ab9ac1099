"""Chooses the bot-state Storage from settings: memory, sqlite (default), redis or cosmos."""

from __future__ import annotations

from botbuilder.core import MemoryStorage, Storage

from config import Settings, StorageBackend


def create_storage(settings: Settings) -> Storage:
    """The Storage for ``settings.storage``.

    * ``memory``: botbuilder's MemoryStorage (one process, lost on restart; tests only).
    * ``sqlite`` (default): ``<data_dir>/state.sqlite3``, survives a restart; one host.
    * ``redis``: ``settings.redis`` url, key prefix and idle TTL; shared by every instance.
    * ``cosmos``: botbuilder-azure CosmosDbPartitionedStorage on ``settings.cosmos``; with a key it
      uses key auth, with an empty key it uses managed identity (DefaultAzureCredential) against a
      database and container (partition key ``/id``) that must already exist.
    """
    backend = settings.storage
    if backend is StorageBackend.MEMORY:
        return MemoryStorage()
    if backend is StorageBackend.REDIS:
        from storage.redis_storage import RedisStorage

        return RedisStorage.from_url(
            settings.redis.url,
            settings.redis.key_prefix,
            settings.redis.idle_ttl_seconds,
            timeout_seconds=settings.redis.timeout_seconds,
        )
    if backend is StorageBackend.COSMOS:
        from storage.cosmos_storage import CosmosStorage, cosmos_config

        cosmos = settings.cosmos
        if not cosmos.endpoint:
            raise ValueError("STORAGE=cosmos needs COSMOS__ENDPOINT")
        key = cosmos.key.get_secret_value()
        config = cosmos_config(cosmos.endpoint, key, cosmos.database, cosmos.container)
        if key:
            return CosmosStorage(config)
        from azure.identity import DefaultAzureCredential

        return CosmosStorage(config, credential=DefaultAzureCredential())
    from storage.sqlite_storage import SqliteStorage

    return SqliteStorage(settings.data_dir / "state.sqlite3")


async def close_storage(storage: Storage) -> None:
    """Release the storage's connections, for the app's shutdown hook (a no-op where there are none)."""
    close = getattr(storage, "close", None)
    if close is not None:
        await close()
