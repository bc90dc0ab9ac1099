"""Load shedding curve: p50/p99 turn latency and shed rate against offered concurrency, admission control on
and off, over HTTP on loopback (the bot in its own thread and event loop, Emulator-protocol clients here).

`python -m bench.load_shedding [--levels 10,50,100,200] [--seconds 10] [--compare]` prints one row per level;
`--compare` adds the 200-conversation level with admission control off (the "before").
Each conversation: call start, then the script of bench.http_turns; a shed start (503) waits Retry-After.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from adapters.emulator import EmulatorChannel
from app import create_app
from bench.http_turns import SCRIPT
from bench.stats import percentile
from config import AdmissionSettings, Settings, StorageBackend


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    starts: int = 0
    shed: int = 0
    timeouts: int = 0
    """Turns the client gave up on (no answer within the Emulator channel's 60 s): counted, not timed."""


async def _conversation_loop(
    channel: EmulatorChannel, tally: Tally, until: float, retry_after: float
) -> None:
    while time.monotonic() < until:
        tally.starts += 1
        started = time.perf_counter()
        try:
            call, _ = await channel.start_call("+14255550100")
        except TimeoutError:
            tally.timeouts += 1
            continue
        except RuntimeError as exc:  # the channel raises on 4xx/5xx
            if "503" not in str(exc):
                raise
            tally.shed += 1
            await asyncio.sleep(retry_after)
            continue
        tally.latencies.append(time.perf_counter() - started)
        for line in SCRIPT:
            started = time.perf_counter()
            try:
                await channel.say(call, line)
            except TimeoutError:
                tally.timeouts += 1
                break
            tally.latencies.append(time.perf_counter() - started)


async def _level(url: str, conversations: int, seconds: float, retry_after: float) -> dict[str, float]:
    tally = Tally()
    async with EmulatorChannel(url) as channel:
        began = time.monotonic()
        until = began + seconds
        await asyncio.gather(
            *(_conversation_loop(channel, tally, until, retry_after) for _ in range(conversations))
        )
        elapsed = time.monotonic() - began  # conversations under way at the deadline are finished
    return {
        "conversations": conversations,
        "turns": len(tally.latencies),
        "p50_ms": 1000 * statistics.median(tally.latencies) if tally.latencies else float("nan"),
        "p99_ms": 1000 * percentile(tally.latencies, 0.99),
        "shed_pct": 100 * tally.shed / max(1, tally.starts),
        "timeouts": tally.timeouts,
        "turns_per_s": len(tally.latencies) / elapsed,
    }


class BotThread:
    """The bot's aiohttp app on a loopback port, served by its own event loop in a thread."""

    def __init__(self, settings: Settings) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="bot", daemon=True)
        self.thread.start()
        self.settings = settings
        self.runner: Any = None

    def start(self) -> str:
        async def go() -> str:
            self.runner = web.AppRunner(await create_app(self.settings), handle_signals=False)
            await self.runner.setup()
            site = web.TCPSite(self.runner, "127.0.0.1", 0)
            await site.start()
            port = self.runner.addresses[0][1]
            return f"http://127.0.0.1:{port}/api/messages"

        return asyncio.run_coroutine_threadsafe(go(), self.loop).result(600)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(300)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def _settings(folder: Path, shedding: bool, lag_ms: float | None) -> Settings:
    on = AdmissionSettings() if lag_ms is None else AdmissionSettings(max_event_loop_lag_ms=lag_ms)
    off = AdmissionSettings(max_in_flight_turns=0, max_event_loop_lag_ms=0)
    return Settings(data_dir=folder, storage=StorageBackend.MEMORY, admission=on if shedding else off)


def run(
    levels: list[int], seconds: float, compare: bool, lag_ms: float | None = None
) -> list[tuple[str, dict[str, float]]]:
    rows: list[tuple[str, dict[str, float]]] = []
    plans = [("on", levels)] + ([("off", [max(levels)])] if compare else [])
    for mode, plan in plans:
        with tempfile.TemporaryDirectory() as folder:
            settings = _settings(Path(folder), shedding=mode == "on", lag_ms=lag_ms)
            bot = BotThread(settings)
            url = bot.start()
            try:
                retry = float(settings.admission.retry_after_seconds)
                asyncio.run(_level(url, 2, 2.0, retry))  # warm-up (first Recognizers-Text call per language)
                rows += [(mode, asyncio.run(_level(url, n, seconds, retry))) for n in plan]
            finally:
                bot.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--levels", default="10,50,100,200")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--compare", action="store_true", help="also run the top level with shedding off")
    parser.add_argument(
        "--lag-ms", type=float, default=None, help="event-loop lag bound (default: the setting's; 0 = off)"
    )
    args = parser.parse_args()
    rows = run([int(x) for x in args.levels.split(",")], args.seconds, args.compare, args.lag_ms)
    columns = ("conversations", "turns", "p50_ms", "p99_ms", "shed_pct", "timeouts", "turns_per_s")
    print(f"{'admission':<10}" + "".join(f"{c:>15}" for c in columns))
    for mode, row in rows:
        print(f"{mode:<10}" + "".join(f"{row[c]:>15.1f}" for c in columns))


if __name__ == "__main__":
    main()
