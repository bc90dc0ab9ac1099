"""History of the counters that matter (calls, outcomes, handoffs, latency) by time bucket, in the store.

Each instance adds its increments to in-memory deltas and flushes them every few seconds into shared
buckets (``metrics/m/<minute>`` for the last hour, ``metrics/q/<quarter hour>`` for the last day), merging
under the store's e_tag check, so a restart or a second instance keeps the figures. Latency goes into
log-spaced bins (10 % wide) that add up across instances and minutes; percentiles are read from them.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

logger = logging.getLogger(__name__)

KEY_PREFIX = "metrics/"
BIN_RATIO = 1.1
WRITE_ATTEMPTS = 5


@dataclass(frozen=True)
class Span:
    """One chart range: ``buckets`` buckets of ``seconds`` each, stored under ``metrics/<tag>/``."""

    tag: str
    seconds: int
    buckets: int


RANGES = {"hour": Span("m", 60, 60), "day": Span("q", 900, 96)}
Bucket = dict[str, Any]


class KeyValueStorage(Protocol):
    """botbuilder's ``Storage`` interface (memory, SQLite, Redis, Cosmos)."""

    async def read(self, keys: list[str]) -> dict[str, Any]: ...

    async def write(self, changes: dict[str, Any]) -> None: ...


def _bin(ms: float) -> str:
    return str(0 if ms < 1 else int(math.log(ms) / math.log(BIN_RATIO)) + 1)


def _bin_value(key: str) -> float:
    """The middle of a bin (what a percentile that falls in it reports)."""
    index = int(key)
    return 0.5 if index == 0 else BIN_RATIO ** (index - 0.5)


def _merge(into: Bucket, delta: Bucket) -> None:
    for name, value in delta.items():
        if isinstance(value, dict):
            _merge(into.setdefault(name, {}), value)
        elif isinstance(value, int | float):
            into[name] = into.get(name, 0) + value


def percentiles(bins: dict[str, int], *quantiles: float) -> list[float | None]:
    """Nearest-rank percentiles (q in 0..100) of binned latencies, None when empty."""
    ordered = sorted((int(k), n) for k, n in bins.items() if n > 0)
    total = sum(n for _, n in ordered)
    out: list[float | None] = []
    for q in quantiles:
        if not total:
            out.append(None)
            continue
        rank, seen = max(1, math.ceil(q / 100 * total)), 0
        for index, count in ordered:
            seen += count
            if seen >= rank:
                out.append(round(_bin_value(str(index)), 1))
                break
    return out


class MetricsHistory:
    """Records increments per bucket, flushes them to the store, reads charts and totals back."""

    def __init__(self, storage: KeyValueStorage | None, clock: Callable[[], float] = time.time) -> None:
        self._storage = storage
        self._clock = clock
        self._pending: dict[str, Bucket] = {}
        self._flush_lock = asyncio.Lock()

    # --- recording (synchronous: called from the metrics helpers) ---------------------------------
    def _add(self, delta: Bucket) -> None:
        now = self._clock()
        for span in RANGES.values():
            start = int(now // span.seconds * span.seconds)
            key = f"{KEY_PREFIX}{span.tag}/{start}"
            if key not in self._pending:
                self._forget_before(now)
            _merge(self._pending.setdefault(key, {}), copy.deepcopy(delta))

    def _forget_before(self, now: float) -> None:
        """Without a store (or with it down for a day) nothing older than the charts is kept."""
        for key in list(self._pending):
            tag, start = key.removeprefix(KEY_PREFIX).split("/")
            span = next(s for s in RANGES.values() if s.tag == tag)
            if int(start) < now - span.seconds * span.buckets:
                del self._pending[key]

    def call_started(self) -> None:
        self._add({"calls": 1})

    def call_ended(self, outcome: str) -> None:
        self._add({"ended": {outcome: 1}})

    def call_escalated(self, escalated: bool) -> None:
        """An ended call as the escalation monitor counted it (handed to an agent or not)."""
        self._add({"escalated": int(escalated), "counted": 1})

    def handoff(self, reason: str, language: str) -> None:
        self._add({"handoffs": {reason: 1}, "handoff_languages": {language or "unknown": 1}})

    def latency(self, stage: str, milliseconds: float) -> None:
        self._add({"latency": {stage: {_bin(milliseconds): 1}}})

    # --- the store --------------------------------------------------------------------------------
    async def flush(self) -> None:
        """Merge the pending increments into the stored buckets; kept for the next flush on failure."""
        if self._storage is None:
            return
        async with self._flush_lock:
            pending, self._pending = self._pending, {}
            for key, delta in pending.items():
                try:
                    await self._merge_into_store(key, delta)
                except Exception as exc:  # any Storage backend; the figures must not be lost
                    logger.warning("metrics history not stored yet", extra={"error": type(exc).__name__})
                    _merge(self._pending.setdefault(key, {}), delta)

    async def _merge_into_store(self, key: str, delta: Bucket) -> None:
        assert self._storage is not None
        for _ in range(WRITE_ATTEMPTS):
            found = (await self._storage.read([key])).get(key)
            item: Bucket = dict(found) if isinstance(found, dict) else {}
            etag = item.pop("e_tag", None)
            _merge(item, delta)
            if etag:
                item["e_tag"] = etag  # another instance may be flushing the same bucket
            try:
                await self._storage.write({key: item})
                return
            except KeyError:  # botbuilder's e_tag conflict (StorageConflictError is a KeyError)
                continue
        raise RuntimeError(f"{key} busy")

    async def _buckets(self, span: Span) -> list[tuple[int, Bucket]]:
        """The range's buckets, oldest first, stored figures plus what this instance has not flushed."""
        last = int(self._clock() // span.seconds * span.seconds)
        starts = [last - i * span.seconds for i in range(span.buckets - 1, -1, -1)]
        keys = [f"{KEY_PREFIX}{span.tag}/{start}" for start in starts]
        stored = await self._storage.read(keys) if self._storage is not None else {}
        out: list[tuple[int, Bucket]] = []
        for start, key in zip(starts, keys, strict=True):
            bucket: Bucket = {}
            found = stored.get(key)
            if isinstance(found, dict):
                _merge(bucket, {k: v for k, v in found.items() if k != "e_tag"})
            _merge(bucket, copy.deepcopy(self._pending.get(key, {})))
            out.append((start, bucket))
        return out

    async def chart(self, range_name: str) -> dict[str, Any]:
        """Per bucket (calls, ended, escalation rate, latency p50/p95 per stage) and the range's totals."""
        span = RANGES[range_name]
        buckets = await self._buckets(span)
        series: list[dict[str, Any]] = []
        totals: Bucket = {}
        for start, bucket in buckets:
            _merge(totals, bucket)
            counted = bucket.get("counted", 0)
            latency = {
                stage: dict(zip(("p50", "p95"), percentiles(bins, 50, 95), strict=True))
                for stage, bins in bucket.get("latency", {}).items()
            }
            series.append(
                {
                    "t": start,
                    "calls": bucket.get("calls", 0),
                    "ended": sum(bucket.get("ended", {}).values()),
                    "escalation_rate": round(bucket.get("escalated", 0) / counted, 4) if counted else None,
                    "latency": latency,
                }
            )
        counted = totals.get("counted", 0)
        return {
            "range": range_name,
            "bucket_seconds": span.seconds,
            "series": series,
            "totals": {
                "calls": totals.get("calls", 0),
                "ended": totals.get("ended", {}),
                "counted": counted,
                "escalated": totals.get("escalated", 0),
                "escalation_rate": round(totals.get("escalated", 0) / counted, 4) if counted else 0.0,
                "handoffs_by_reason": totals.get("handoffs", {}),
                "handoffs_by_language": totals.get("handoff_languages", {}),
                "latency": {
                    stage: dict(zip(("p50", "p95"), percentiles(bins, 50, 95), strict=True))
                    for stage, bins in totals.get("latency", {}).items()
                },
            },
        }

    async def ended_calls(self, window_seconds: float) -> list[tuple[float, bool]]:
        """(age in seconds, escalated) of the ended calls stored for the window: what an escalation
        monitor restores after a restart (ages at minute resolution)."""
        span = RANGES["hour"]
        now = self._clock()
        calls: list[tuple[float, bool]] = []
        for start, bucket in await self._buckets(span):
            age = max(0.0, now - (start + span.seconds / 2))
            if age >= window_seconds:
                continue
            escalated = int(bucket.get("escalated", 0))
            counted = int(bucket.get("counted", 0))
            calls += [(age, True)] * escalated + [(age, False)] * max(0, counted - escalated)
        return calls

    async def run_flusher(self, every_seconds: float = 5.0) -> None:
        """Flush forever (a background task; cancel it, then ``flush()`` once more at shutdown)."""
        while True:
            await asyncio.sleep(every_seconds)
            await self.flush()
