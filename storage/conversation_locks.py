"""Per-conversation mutual exclusion: in-process (asyncio), Redis (SET NX PX), Cosmos DB (lease document)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from storage.items import StorageUnavailableError

# (key, task) pairs the current task holds: a turn that re-enters the pipeline for its own
# conversation (continue_conversation awaited inside the turn) must not wait for itself. The task is
# part of the entry because tasks spawned during a turn inherit the context but not the lock.
_HELD: ContextVar[frozenset[tuple[str, int]]] = ContextVar("held_conversation_locks", default=frozenset())


class TurnLockTimeout(Exception):
    """Another turn of the same conversation held the lock for longer than the wait allowed."""


class ConversationLocks(Protocol):
    def hold(self, key: str) -> contextlib.AbstractAsyncContextManager[None]: ...


class _Reentrant:
    """Skips locking when the current task already holds ``key``."""

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        held = _HELD.get()
        entry = (key, id(asyncio.current_task()))
        if entry in held:
            yield
            return
        async with self._locked(key):
            token = _HELD.set(held | {entry})
            try:
                yield
            finally:
                _HELD.reset(token)

    def _locked(self, key: str) -> contextlib.AbstractAsyncContextManager[None]:
        raise NotImplementedError


class InProcessConversationLocks(_Reentrant):
    """One asyncio.Lock per conversation, dropped when nobody waits: enough for one process
    (memory / SQLite storage). Not across processes."""

    def __init__(self, acquire_timeout: float = 20.0) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._timeout = acquire_timeout

    @contextlib.asynccontextmanager
    async def _locked(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            try:
                await asyncio.wait_for(lock.acquire(), self._timeout)
            except TimeoutError as exc:
                raise TurnLockTimeout(key) from exc
            try:
                yield
            finally:
                lock.release()
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
_RENEW = (
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0"
)


class RedisConversationLocks(_Reentrant):
    """``SET lock:<key> <random token> NX PX ttl``; released and renewed only by the token's owner
    (Lua compare-then-act), so an instance can never free a lock it lost after a pause. A crashed
    holder's lock lapses after ``ttl_ms``; a live holder renews it every ``ttl_ms / 3``."""

    def __init__(
        self,
        client: Redis,
        key_prefix: str = "voicebot:",
        ttl_ms: int = 15_000,
        acquire_timeout: float = 20.0,
        retry_delay: float = 0.01,
    ) -> None:
        self._redis = client
        self._prefix = key_prefix + "turnlock:"
        self._ttl_ms = ttl_ms
        self._timeout = acquire_timeout
        self._retry_delay = retry_delay
        self._release = client.register_script(_RELEASE)
        self._renew = client.register_script(_RENEW)

    @contextlib.asynccontextmanager
    async def _locked(self, key: str) -> AsyncIterator[None]:
        name = self._prefix + key
        token = secrets.token_hex(16)
        deadline = time.monotonic() + self._timeout
        delay = self._retry_delay
        last_error: Exception | None = None
        errors = 0
        while True:
            try:
                if await self._redis.set(name, token, nx=True, px=self._ttl_ms):
                    break
                # A SET that timed out may still have landed: then the lock is already ours.
                if last_error is not None and await self._redis.get(name) in (token, token.encode()):
                    break
                errors = 0
            except (RedisError, OSError) as exc:  # one slow or dropped answer is retried
                last_error, errors = exc, errors + 1
                if errors >= 2:
                    raise StorageUnavailableError("redis lock failed") from exc
            if time.monotonic() >= deadline:
                raise TurnLockTimeout(key)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.2)
        done = asyncio.Event()
        renewer = asyncio.create_task(self._keep_alive(name, token, done))
        try:
            yield
        finally:
            # Told to stop, not cancelled: a cancel landing inside a renewal is swallowed by redis-py
            # (the task then slept on for ever and the turn never left its lock: 1 run in ~8 here).
            done.set()
            await renewer
            with contextlib.suppress(RedisError, OSError):  # it lapses by itself after ttl
                await self._release(keys=[name], args=[token])

    async def _keep_alive(self, name: str, token: str, done: asyncio.Event) -> None:
        """Renew every ``ttl_ms / 3`` until ``done``; a renewal in flight finishes first (bounded by
        the client's socket timeout)."""
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), self._ttl_ms / 3000)
                return
            with contextlib.suppress(RedisError, OSError):
                await self._renew(keys=[name], args=[token, self._ttl_ms])


class CosmosConversationLocks(_Reentrant):
    """A lease document ``turnlock|<key>`` in the state container: create = acquire (409 when held),
    an expired lease is taken over with an If-Match replace, release is an If-Match delete. The
    container's partition key is ``/id``, so each lease is its own partition. Sync SDK calls run in
    a worker thread."""

    def __init__(
        self,
        storage: Any,
        ttl_seconds: float = 15.0,
        acquire_timeout: float = 20.0,
        retry_delay: float = 0.02,
    ) -> None:
        self._storage = storage  # storage.cosmos_storage.CosmosStorage
        self._ttl = ttl_seconds
        self._timeout = acquire_timeout
        self._retry_delay = retry_delay

    def _container(self) -> Any:
        if self._storage.container is None:
            asyncio.run(self._storage.initialize())
        return self._storage.container

    @staticmethod
    def _doc_id(key: str) -> str:
        from botbuilder.azure import CosmosDbKeyEscape

        return CosmosDbKeyEscape.sanitize_key("turnlock|" + key, compatibility_mode=False)

    def _try_acquire(self, doc_id: str, token: str) -> bool:
        from azure.core import MatchConditions
        from azure.cosmos.exceptions import CosmosHttpResponseError, CosmosResourceNotFoundError

        container = self._container()
        lease = {"id": doc_id, "token": token, "expires": time.time() + self._ttl}
        try:
            container.create_item(lease)
            return True
        except CosmosHttpResponseError as exc:
            if exc.status_code != 409:
                raise
        try:
            current = container.read_item(doc_id, partition_key=doc_id)
        except CosmosResourceNotFoundError:
            return False  # released meanwhile: try again
        if float(current.get("expires", 0)) > time.time():
            return False
        try:  # lapsed (its holder died): take it over unless someone else just did
            container.replace_item(
                doc_id, lease, etag=current["_etag"], match_condition=MatchConditions.IfNotModified
            )
            return True
        except CosmosHttpResponseError as exc:
            if exc.status_code in (409, 412, 404):
                return False
            raise

    def _release_sync(self, doc_id: str, token: str) -> None:
        from azure.core import MatchConditions
        from azure.cosmos.exceptions import CosmosHttpResponseError

        container = self._container()
        try:
            current = container.read_item(doc_id, partition_key=doc_id)
            if current.get("token") == token:
                container.delete_item(
                    doc_id,
                    partition_key=doc_id,
                    etag=current["_etag"],
                    match_condition=MatchConditions.IfNotModified,
                )
        except CosmosHttpResponseError:
            pass  # gone or taken over: it is no longer ours to release

    def _renew_sync(self, doc_id: str, token: str) -> None:
        from azure.core import MatchConditions
        from azure.cosmos.exceptions import CosmosHttpResponseError

        container = self._container()
        try:
            current = container.read_item(doc_id, partition_key=doc_id)
            if current.get("token") == token:
                lease = {"id": doc_id, "token": token, "expires": time.time() + self._ttl}
                container.replace_item(
                    doc_id, lease, etag=current["_etag"], match_condition=MatchConditions.IfNotModified
                )
        except CosmosHttpResponseError:
            pass

    @contextlib.asynccontextmanager
    async def _locked(self, key: str) -> AsyncIterator[None]:
        from azure.cosmos.exceptions import CosmosHttpResponseError

        doc_id = self._doc_id(key)
        token = secrets.token_hex(16)
        deadline = time.monotonic() + self._timeout
        delay = self._retry_delay
        try:
            while not await asyncio.to_thread(self._try_acquire, doc_id, token):
                if time.monotonic() >= deadline:
                    raise TurnLockTimeout(key)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.2)
        except CosmosHttpResponseError as exc:
            raise StorageUnavailableError(f"cosmos lock failed: {exc.status_code}") from exc
        renewer = asyncio.create_task(self._keep_alive(doc_id, token))
        try:
            yield
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            await asyncio.to_thread(self._release_sync, doc_id, token)

    async def _keep_alive(self, doc_id: str, token: str) -> None:
        while True:
            await asyncio.sleep(self._ttl / 3)
            await asyncio.to_thread(self._renew_sync, doc_id, token)
