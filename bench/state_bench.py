"""State read+write per turn for each storage backend (p50/p95): `python -m bench.state_bench`."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from botbuilder.core import ConversationState, MemoryStorage, Storage, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import DialogInstance, DialogState
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from bench.stats import percentile
from storage.conversation_locks import (
    CosmosConversationLocks,
    InProcessConversationLocks,
    RedisConversationLocks,
)
from storage.cosmos_storage import CosmosStorage, cosmos_config
from storage.redis_storage import RedisStorage
from storage.sqlite_storage import SqliteStorage


def _activity(conversation_id: str) -> Activity:
    return Activity(
        type=ActivityTypes.message, channel_id="telephony", text="what's my balance",
        conversation=ConversationAccount(id=conversation_id), from_property=ChannelAccount(id="caller"),
        recipient=ChannelAccount(id="bot"),
    )  # fmt: skip


async def _turn(
    state: ConversationState, stack_prop: Any, session_prop: Any, conversation_id: str, n: int
) -> None:
    """What a turn does to state: load, change the dialog stack and call session, save."""
    ctx = TurnContext(TestAdapter(), _activity(conversation_id))
    await state.load(ctx)
    stack: DialogState = await stack_prop.get(ctx, DialogState)
    stack.dialog_stack[:] = [
        DialogInstance(id="MainDialog", state={"step": n % 4}),
        DialogInstance(id="CheckBalanceDialog", state={"account": "checking", "attempts": n % 3}),
    ]
    session = await session_prop.get(ctx, dict)
    session.update({"locale": "en-US", "customer_id": "C1001", "verified": n > 1, "turns": n})
    await state.save_changes(ctx)


async def measure(
    storage: Storage, turns: int, conversations: int, lock: Any = None
) -> tuple[list[float], float]:
    """Run ``turns`` turns round-robin over ``conversations`` calls; per-turn latency in ms."""
    state = ConversationState(storage)
    stack_prop, session_prop = state.create_property("DialogState"), state.create_property("CallSession")
    ids = [uuid.uuid4().hex for _ in range(conversations)]
    for cid in ids:  # first turn creates the item: not a steady-state turn
        await _turn(state, stack_prop, session_prop, cid, 0)
    latencies: list[float] = []
    started = time.perf_counter()
    for i in range(turns):
        cid = ids[i % conversations]
        t0 = time.perf_counter()
        if lock is None:
            await _turn(state, stack_prop, session_prop, cid, i + 1)
        else:
            async with lock.hold(f"telephony/{cid}"):
                await _turn(state, stack_prop, session_prop, cid, i + 1)
        latencies.append((time.perf_counter() - t0) * 1000)
    return latencies, time.perf_counter() - started


@asynccontextmanager
async def _servers(want_redis: bool, want_cosmos: bool) -> AsyncIterator[dict[str, Any]]:
    from tests.support.servers import (
        cosmos_available,
        redis_available,
        start_cosmos,
        start_redis,
        stop_server,
    )

    running: dict[str, Any] = {}
    try:
        if want_redis and redis_available():
            running["redis"] = await asyncio.to_thread(start_redis)
        if want_cosmos and cosmos_available():
            running["cosmos"] = await asyncio.to_thread(start_cosmos)
        yield running
    finally:
        for server in running.values():
            stop_server(server)


async def run(turns: int, conversations: int, backends: list[str], redis_url: str, cosmos_url: str) -> None:
    rows: list[tuple[str, str, list[float], float]] = []
    async with _servers(
        "redis" in backends and not redis_url, "cosmos" in backends and not cosmos_url
    ) as servers:
        with tempfile.TemporaryDirectory() as tmp:

            async def memory() -> tuple[Storage, Any, str]:
                return MemoryStorage(), InProcessConversationLocks(), "in-process"

            async def sqlite() -> tuple[Storage, Any, str]:
                return SqliteStorage(Path(tmp) / "state.sqlite3"), InProcessConversationLocks(), "in-process"

            async def redis() -> tuple[Storage, Any, str]:
                url = redis_url or servers["redis"].url
                store = RedisStorage.from_url(url, key_prefix=f"bench{uuid.uuid4().hex[:6]}:")
                return store, RedisConversationLocks(store.redis_client, "bench:"), "redis SET NX"

            async def cosmos() -> tuple[Storage, Any, str]:
                from tests.support.servers import COSMOS_KEY

                url = cosmos_url or servers["cosmos"].url
                store = CosmosStorage(cosmos_config(url, COSMOS_KEY, "bench", "state"))
                return store, CosmosConversationLocks(store), "cosmos lease doc"

            factories: dict[str, Callable[[], Awaitable[tuple[Storage, Any, str]]]] = {
                "memory": memory,
                "sqlite": sqlite,
                "redis": redis,
                "cosmos": cosmos,
            }
            for name in backends:
                external = {"redis": redis_url, "cosmos": cosmos_url}.get(name, "")
                if name in ("redis", "cosmos") and not (external or name in servers):
                    print(f"{name}: server not available (scripts/install_test_servers.sh) - skipped")
                    continue
                store, lock, lock_name = await factories[name]()
                lat, wall = await measure(store, turns, conversations)
                rows.append((name, "state only", lat, wall))
                if lock is not None:
                    lat, wall = await measure(store, turns, conversations, lock)
                    rows.append((name, f"+ turn lock ({lock_name})", lat, wall))
                close = getattr(store, "close", None)
                if close is not None:
                    await close()

    print(f"\nstate read+write per turn: {turns} turns over {conversations} conversations, sequential")
    print(f"{'backend':<8} {'mode':<32} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'turns/s':>8}")
    for name, mode, lat, wall in rows:
        print(f"{name:<8} {mode:<32} {percentile(lat, 0.5):>8.2f} {percentile(lat, 0.95):>8.2f} "
              f"{statistics.fmean(lat):>8.2f} {len(lat) / wall:>8.0f}")  # fmt: skip
    print("cosmos = the @vercel/cosmosdb-server emulation on loopback: client + SDK cost, not Azure latency")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--backends", default="memory,sqlite,redis,cosmos")
    parser.add_argument("--redis-url", default="", help="use this Redis instead of starting one")
    parser.add_argument(
        "--cosmos-url", default="", help="use this Cosmos endpoint (emulator key) instead of starting one"
    )
    args = parser.parse_args()
    asyncio.run(
        run(args.turns, args.conversations, args.backends.split(","), args.redis_url, args.cosmos_url)
    )


if __name__ == "__main__":
    main()
