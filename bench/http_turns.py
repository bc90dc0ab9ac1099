"""Turn latency and throughput of the whole bot on the embedded stack, over the real protocol: HTTP
POSTs (replies POSTed back to a serviceUrl, as the Emulator) and/or one Bot Framework streaming
WebSocket carrying every call (as the telephony channel).

`python -m bench.http_turns [--calls 20] [--concurrency 4] [--transport http|streaming|both]` prints
p50/p95 per turn and turns/s per transport.
Each call: greeting, balance request, PIN, "anything else" -> goodbye (4 turns after the greeting).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from aiohttp.test_utils import TestServer

from adapters.emulator import EmulatorChannel
from adapters.streaming_client import StreamingChannel
from app import create_app
from bench.stats import percentile
from config import Settings, StorageBackend

SCRIPT = ("what is my checking balance", "1 2 3 4", "no thanks")


async def _one_call(channel: EmulatorChannel, latencies: list[float]) -> None:
    started = time.perf_counter()
    call, _ = await channel.start_call("+14255550100")
    latencies.append(time.perf_counter() - started)
    for line in SCRIPT:
        started = time.perf_counter()
        await channel.say(call, line)
        latencies.append(time.perf_counter() - started)


async def _measure(url: str, transport: str, calls: int, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    # One streaming socket carries every call, as the telephony channel multiplexes them.
    channel = StreamingChannel(url) if transport == "streaming" else EmulatorChannel(url)
    async with channel:
        await _one_call(channel, [])  # warm-up (first Recognizers-Text call per language)
        semaphore = asyncio.Semaphore(concurrency)

        async def limited() -> None:
            async with semaphore:
                await _one_call(channel, latencies)

        started = time.perf_counter()
        await asyncio.gather(*(limited() for _ in range(calls)))
        elapsed = time.perf_counter() - started
    return {
        "turns": len(latencies),
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * percentile(latencies, 0.95),
        "turns_per_s": len(latencies) / elapsed,
    }


async def run(
    calls: int, concurrency: int, transports: tuple[str, ...] = ("http",)
) -> dict[str, dict[str, float]]:
    """The same script over each transport, one after the other, against one running bot."""
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), storage=StorageBackend.MEMORY)
        app = await create_app(settings)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        try:
            url = str(server.make_url("/api/messages"))
            return {name: await _measure(url, name, calls, concurrency) for name in transports}
        finally:
            await server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--transport", choices=("http", "streaming", "both"), default="http")
    args = parser.parse_args()
    transports = ("http", "streaming") if args.transport == "both" else (args.transport,)
    results = asyncio.run(run(args.calls, args.concurrency, transports))
    print(f"{'metric':<14}" + "".join(f"{name:>12}" for name in transports))
    for metric in results[transports[0]]:
        print(f"{metric:<14}" + "".join(f"{results[name][metric]:>12.1f}" for name in transports))


if __name__ == "__main__":
    main()
