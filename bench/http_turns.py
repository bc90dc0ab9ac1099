"""HTTP turn latency and throughput of the whole bot on the embedded stack, over the real protocol.

`python -m bench.http_turns [--calls 20] [--concurrency 4]` prints p50/p95 per turn and turns/s.
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
from app import create_app
from config import Settings

SCRIPT = ("what is my checking balance", "1 2 3 4", "no thanks")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _one_call(channel: EmulatorChannel, latencies: list[float]) -> None:
    started = time.perf_counter()
    call, _ = await channel.start_call("+14255550100")
    latencies.append(time.perf_counter() - started)
    for line in SCRIPT:
        started = time.perf_counter()
        await channel.say(call, line)
        latencies.append(time.perf_counter() - started)


async def run(calls: int, concurrency: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), storage="memory")
        app = await create_app(settings)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        latencies: list[float] = []
        try:
            async with EmulatorChannel(str(server.make_url("/api/messages"))) as channel:
                await _one_call(channel, [])  # warm-up (first Recognizers-Text call per language)
                semaphore = asyncio.Semaphore(concurrency)

                async def limited() -> None:
                    async with semaphore:
                        await _one_call(channel, latencies)

                started = time.perf_counter()
                await asyncio.gather(*(limited() for _ in range(calls)))
                elapsed = time.perf_counter() - started
        finally:
            await server.close()
    return {
        "turns": len(latencies),
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * _percentile(latencies, 0.95),
        "turns_per_s": len(latencies) / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    result = asyncio.run(run(args.calls, args.concurrency))
    print(f"{'metric':<14}{'value':>10}")
    for name, value in result.items():
        print(f"{name:<14}{value:>10.1f}")


if __name__ == "__main__":
    main()
