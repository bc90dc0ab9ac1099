"""Per-caller and per-instance sliding-window limits on language-model calls (in memory, asyncio)."""

from __future__ import annotations

import hashlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol

log = logging.getLogger(__name__)

RATE_LIMIT_EVENT = "llm_rate_limit_exceeded"


class RateLimitExceeded(Exception):
    """Too many language-model calls; `scope` is "caller" or "instance", `retry_after` in seconds."""

    def __init__(self, scope: str, limit: int, window_seconds: float, retry_after: float) -> None:
        super().__init__(f"language-model {scope} limit of {limit} per {window_seconds:g}s exceeded")
        self.scope, self.limit, self.window_seconds, self.retry_after = (
            scope,
            limit,
            window_seconds,
            retry_after,
        )


class EventSink(Protocol):
    def track_event(
        self, name: str, properties: dict | None = None, measurements: dict | None = None
    ) -> None: ...


def caller_key(caller_id: str) -> str:
    """A stable pseudonym for a caller (phone numbers must not appear in logs or telemetry)."""
    return hashlib.sha256(caller_id.encode()).hexdigest()[:12]


class LanguageModelRateLimiter:
    """Admits a call when both the caller's and the instance's count in the last window are under limit.

    A refused call is not counted. Each refusal logs a warning and sends the `llm_rate_limit_exceeded`
    telemetry event (the "more than N calls per minute" alert) and bumps `metrics.rate_limited`.
    """

    def __init__(
        self,
        per_caller: int = 20,
        per_instance: int = 300,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        telemetry: EventSink | None = None,
        metrics: Any | None = None,
    ) -> None:
        self.per_caller, self.per_instance, self.window = per_caller, per_instance, window_seconds
        self._clock = clock
        self._telemetry = telemetry
        self._metrics = metrics
        self._callers: dict[str, deque[float]] = {}
        self._instance: deque[float] = deque()

    def _prune(self, stamps: deque[float], now: float) -> None:
        cutoff = now - self.window
        while stamps and stamps[0] <= cutoff:
            stamps.popleft()

    def _refuse(self, scope: str, limit: int, stamps: deque[float], now: float, caller_id: str) -> None:
        retry_after = max(0.0, stamps[0] + self.window - now)
        props = {
            "scope": scope,
            "limit": str(limit),
            "window_seconds": str(self.window),
            "caller": caller_key(caller_id),
        }
        log.warning("language-model rate limit exceeded", extra={"event": RATE_LIMIT_EVENT, **props})
        if self._telemetry is not None:
            self._telemetry.track_event(RATE_LIMIT_EVENT, props, {"retry_after_seconds": retry_after})
        if self._metrics is not None:
            self._metrics.counter("llm_rate_limited").inc(scope=scope)
        raise RateLimitExceeded(scope, limit, self.window, retry_after)

    def check(self, caller_id: str) -> None:
        """Count one call for `caller_id`, or raise RateLimitExceeded without counting it."""
        now = self._clock()
        stamps = self._callers.setdefault(caller_id, deque())
        self._prune(stamps, now)
        self._prune(self._instance, now)
        if len(stamps) >= self.per_caller:
            self._refuse("caller", self.per_caller, stamps, now, caller_id)
        if len(self._instance) >= self.per_instance:
            self._refuse("instance", self.per_instance, self._instance, now, caller_id)
        stamps.append(now)
        self._instance.append(now)
        if len(self._callers) > 10_000:  # forget idle callers
            for key in [k for k, v in self._callers.items() if not v or v[-1] <= now - self.window]:
                del self._callers[key]

    async def acquire(self, caller_id: str) -> None:
        """Async form of `check` (no waiting: a caller over the limit gets the exception at once)."""
        self.check(caller_id)

    @asynccontextmanager
    async def limit(self, caller_id: str) -> AsyncIterator[None]:
        """`async with limiter.limit(caller): await llm(...)`."""
        await self.acquire(caller_id)
        yield

    def usage(self, caller_id: str | None = None) -> int:
        """Calls counted in the current window (for one caller, or the whole instance)."""
        now = self._clock()
        stamps = self._instance if caller_id is None else self._callers.get(caller_id, deque())
        self._prune(stamps, now)
        return len(stamps)
