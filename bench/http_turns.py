"""Turn latency and throughput of the whole bot on the embedded stack, over the real protocol, beside
BotBuilder-Samples' 02.echo-bot (bench/echo_bot.py) in the same run: same channel stub, calls and
concurrency, so the ratio holds even when the machine's load moves the absolute figures.

`python -m bench.http_turns [--calls 40] [--concurrency 4] [--storage sqlite|memory]
[--transport http|streaming|both] [--rounds 2]` prints p50/p95 per turn and turns/s for the echo sample
over HTTP and for this bot over HTTP POST (replies POSTed back to a serviceUrl, as the Emulator) and/or
one Bot Framework streaming WebSocket carrying every call (as the telephony channel), then the bot/echo
ratio over HTTP. Each call: call start (greeting), balance request, PIN, "no thanks"; the echo bot gets
the same activities. Rounds alternate the order of the targets so drift in the machine's load falls on
both.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.emulator import EmulatorChannel
from adapters.streaming_client import StreamingChannel
from app import create_app
from bench.echo_bot import create_echo_app
from bench.stats import percentile
from config import AdmissionSettings, Settings, StorageBackend

SCRIPT = ("what is my checking balance", "1 2 3 4", "no thanks")
TARGET_RATIO = 1.5
"""Issue 14: a turn of this bot costs at most 1.5 times the echo sample's (p50 and throughput)."""


@dataclass
class Target:
    """One bot over one transport, with every turn's latency and the time its measured calls took."""

    name: str
    url: str
    transport: str
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    warm: bool = False

    def figures(self) -> dict[str, float]:
        return {
            "turns": len(self.latencies),
            "p50_ms": 1000 * statistics.median(self.latencies),
            "p95_ms": 1000 * percentile(self.latencies, 0.95),
            "turns_per_s": len(self.latencies) / self.seconds,
            # The process's CPU time (channel stub included, the same for both bots): steadier than the
            # wall-clock figures on a machine shared with other work.
            "cpu_ms_per_turn": 1000 * self.cpu_seconds / len(self.latencies),
        }


async def _one_call(channel: EmulatorChannel, latencies: list[float]) -> None:
    started = time.perf_counter()
    call, _ = await channel.start_call("+14255550100")
    latencies.append(time.perf_counter() - started)
    for line in SCRIPT:
        started = time.perf_counter()
        await channel.say(call, line)
        latencies.append(time.perf_counter() - started)


async def _measure(target: Target, calls: int, concurrency: int) -> None:
    # One streaming socket carries every call, as the telephony channel multiplexes them.
    channel = StreamingChannel(target.url) if target.transport == "streaming" else EmulatorChannel(target.url)
    async with channel:
        if not target.warm:  # first Recognizers-Text call per language, first CRM open
            await _one_call(channel, [])
            target.warm = True
        semaphore = asyncio.Semaphore(concurrency)

        async def limited() -> None:
            async with semaphore:
                await _one_call(channel, target.latencies)

        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(limited() for _ in range(calls)))
        target.seconds += time.perf_counter() - started
        target.cpu_seconds += time.process_time() - cpu


async def _serve(app: web.Application, servers: list[TestServer]) -> str:
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    servers.append(server)
    return str(server.make_url("/api/messages"))


async def run(
    calls: int,
    concurrency: int,
    transports: tuple[str, ...] = ("http",),
    storage: StorageBackend = StorageBackend.SQLITE,
    rounds: int = 2,
) -> dict[str, dict[str, float]]:
    """Figures per target ("echo http", "bot http", "bot streaming"), every target in every round."""
    servers: list[TestServer] = []
    with tempfile.TemporaryDirectory() as folder:
        # Every call is measured: no shedding when the shared machine's load lags the loop (that curve
        # is bench.load_shedding's).
        settings = Settings(
            data_dir=Path(folder), storage=storage, admission=AdmissionSettings(max_event_loop_lag_ms=0)
        )
        try:
            echo_url = await _serve(create_echo_app(), servers)
            bot_url = await _serve(await create_app(settings), servers)
            targets = [Target("echo http", echo_url, "http")]
            targets += [Target(f"bot {transport}", bot_url, transport) for transport in transports]
            for number in range(rounds):
                for target in targets if number % 2 == 0 else reversed(targets):
                    await _measure(target, calls, concurrency)
        finally:
            for server in servers:
                await server.close()
    return {target.name: target.figures() for target in targets}


def ratios(results: dict[str, dict[str, float]]) -> dict[str, float]:
    """How many times the echo sample's cost a turn of this bot is, over HTTP (p50, and 1/throughput)."""
    bot, echo = results["bot http"], results["echo http"]
    return {
        "p50": bot["p50_ms"] / echo["p50_ms"],
        "throughput": echo["turns_per_s"] / bot["turns_per_s"],
        "cpu": bot["cpu_ms_per_turn"] / echo["cpu_ms_per_turn"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--transport", choices=("http", "streaming", "both"), default="http")
    parser.add_argument("--storage", choices=("sqlite", "memory"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    transports = ("http", "streaming") if args.transport == "both" else (args.transport,)
    storage = StorageBackend(args.storage)
    results = asyncio.run(run(args.calls, args.concurrency, transports, storage, args.rounds))
    print(
        f"{args.calls} calls x {len(SCRIPT) + 1} turns, concurrency {args.concurrency}, "
        f"{args.rounds} round(s), state store: {storage.value} (the echo sample keeps no state)"
    )
    print(f"{'metric':<14}" + "".join(f"{name:>15}" for name in results))
    for metric in next(iter(results.values())):
        print(f"{metric:<14}" + "".join(f"{figures[metric]:>15.1f}" for figures in results.values()))
    if "bot http" in results:
        ratio = ratios(results)
        print(
            f"bot/echo over HTTP: p50 x{ratio['p50']:.2f}, cost per turn at throughput"
            f" x{ratio['throughput']:.2f} (target: both <= x{TARGET_RATIO}), CPU per turn x{ratio['cpu']:.2f}"
        )


if __name__ == "__main__":
    main()
