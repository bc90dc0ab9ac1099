"""Backend-specific behaviour: SQLite survives a restart, Redis expires idle conversations, the factory."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from botbuilder.core import MemoryStorage
from redis.asyncio import Redis

from config import Settings
from storage.cosmos_storage import CosmosStorage
from storage.factory import create_storage
from storage.items import StorageConflictError, StorageUnavailableError
from storage.redis_storage import RedisStorage
from storage.sqlite_storage import SqliteStorage


async def test_sqlite_state_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    first = SqliteStorage(path)
    await first.write({"conv/1": {"step": "ask_pin", "attempts": 1}})
    etag = (await first.read(["conv/1"]))["conv/1"]["e_tag"]
    await first.close()

    second = SqliteStorage(path)  # a new process would see the same file
    item = (await second.read(["conv/1"]))["conv/1"]
    assert item["step"] == "ask_pin" and item["e_tag"] == etag
    await second.close()


async def test_sqlite_two_instances_on_one_file_reject_a_stale_write(tmp_path: Path) -> None:
    a, b = SqliteStorage(tmp_path / "s.db"), SqliteStorage(tmp_path / "s.db")
    await a.write({"k": {"n": 0}})
    from_a, from_b = (await a.read(["k"]))["k"], (await b.read(["k"]))["k"]
    await a.write({"k": {**from_a, "n": 1}})
    with pytest.raises(StorageConflictError):
        await b.write({"k": {**from_b, "n": 2}})
    await a.close()
    await b.close()


async def test_sqlite_multi_key_write_is_all_or_nothing(tmp_path: Path) -> None:
    store = SqliteStorage(tmp_path / "s.db")
    await store.write({"a": {"n": 0}, "b": {"n": 0}})
    stale = (await store.read(["b"]))["b"]
    await store.write({"b": {"n": 1}})
    with pytest.raises(StorageConflictError):
        await store.write({"a": {"n": 9}, "b": {**stale, "n": 9}})
    got = await store.read(["a", "b"])
    assert got["a"]["n"] == 0 and got["b"]["n"] == 1
    await store.close()


async def test_sqlite_purge_idle_removes_old_items(tmp_path: Path) -> None:
    store = SqliteStorage(tmp_path / "s.db")
    await store.write({"old": {"n": 1}})
    await asyncio.sleep(0.05)
    assert await store.purge_idle(0.01) == 1
    assert await store.read(["old"]) == {}
    await store.close()


async def test_redis_idle_conversation_expires_and_a_turn_renews_it(redis_server) -> None:
    store = RedisStorage.from_url(redis_server.url, key_prefix=f"ttl{uuid.uuid4().hex[:6]}:", ttl_seconds=2)
    raw = Redis.from_url(redis_server.url)
    await store.write({"conv": {"n": 1}, "other": {"n": 1}})
    assert 0 < await raw.ttl(store.redis_key("conv")) <= 2
    await asyncio.sleep(1.2)
    assert "conv" in await store.read(["conv"])  # a read is activity: TTL renewed
    await asyncio.sleep(1.2)
    assert set(await store.read(["conv", "other"])) == {"conv"}  # "other" was idle for 2.4 s
    await asyncio.sleep(2.3)
    assert await store.read(["conv"]) == {}
    await raw.aclose()
    await store.close()


async def test_redis_keys_carry_the_prefix(redis_server) -> None:
    prefix = f"p{uuid.uuid4().hex[:6]}:"
    store = RedisStorage.from_url(redis_server.url, key_prefix=prefix, ttl_seconds=0)
    raw = Redis.from_url(redis_server.url, decode_responses=True)
    await store.write({"emulator/conversations/x": {"n": 1}})
    assert await raw.keys(prefix + "*") == [prefix + "emulator/conversations/x"]
    assert await raw.ttl(prefix + "emulator/conversations/x") == -1
    await raw.aclose()
    await store.close()


async def test_redis_unreachable_raises_storage_unavailable() -> None:
    from tests.support.servers import free_port

    store = RedisStorage.from_url(f"redis://127.0.0.1:{free_port()}/0", timeout_seconds=0.5)
    with pytest.raises(StorageUnavailableError):
        await store.read(["k"])
    assert await store.ping() is False
    await store.close()


def test_factory_picks_each_backend(tmp_path: Path) -> None:
    assert isinstance(create_storage(Settings(storage="memory", data_dir=tmp_path)), MemoryStorage)
    sqlite = create_storage(Settings(data_dir=tmp_path))
    assert isinstance(sqlite, SqliteStorage)
    redis = create_storage(Settings(storage="redis", redis={"url": "redis://127.0.0.1:1/0"}))
    assert isinstance(redis, RedisStorage)
    cosmos = create_storage(
        Settings(storage="cosmos", cosmos={"endpoint": "http://127.0.0.1:1/", "key": "a2V5"})
    )
    assert isinstance(cosmos, CosmosStorage)
    with pytest.raises(ValueError):
        create_storage(Settings(storage="cosmos", cosmos={"endpoint": ""}))


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # self-signed, loopback
async def test_cosmos_managed_identity_path_uses_the_token_credential(tmp_path: Path, monkeypatch) -> None:
    """With no key the factory passes DefaultAzureCredential to azure-cosmos and skips botbuilder's
    create-container (Entra data-plane roles cannot create containers): the container must exist."""
    from azure.core.credentials import AccessToken

    scopes_asked: list[str] = []

    class FakeCredential:
        def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
            scopes_asked.extend(scopes)
            return AccessToken("fake-entra-token", 4_102_444_800)

    from tests.support.servers import cosmos_available, start_cosmos, stop_server

    if not cosmos_available():
        pytest.skip("Cosmos DB emulation not installed")
    # Bearer tokens are only sent over TLS: an HTTPS instance of the emulation.
    server = start_cosmos(tmp_path, ssl=True)
    try:
        container = f"mi{uuid.uuid4().hex[:6]}"
        # The deployment creates the container; here key auth plays that part.
        keyed = create_storage(
            Settings(
                storage="cosmos",
                cosmos={"endpoint": server.url, "key": server.extra["key"], "container": container},
            )
        )
        await keyed.write({"seed": {"n": 0}})

        monkeypatch.setattr("azure.identity.DefaultAzureCredential", FakeCredential)
        store = create_storage(
            Settings(storage="cosmos", cosmos={"endpoint": server.url, "container": container})
        )
        assert isinstance(store, CosmosStorage)
        await store.write({"conv": {"n": 1}})
        assert (await store.read(["conv", "seed"]))["conv"]["n"] == 1
        assert scopes_asked and all(s.endswith("/.default") for s in scopes_asked)
    finally:
        stop_server(server)
