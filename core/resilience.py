"""Outages degrade, never loop: one circuit breaker for every dependency, and fallback to an embedded twin."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

DEGRADED_EVENT = "DependencyDegraded"
"""Telemetry event: a call went to the embedded twin (properties ``dependency``, ``reason``)."""


class CircuitOpen(Exception):
    """The dependency failed too often lately: it is not being called until its circuit half-opens."""


class CircuitBreaker:
    """Closed → (``failures`` consecutive failures) → open for ``reset_seconds`` → half-open: one
    trial call; success closes it, failure opens it again. While open, calls fail at once, so a
    dependency that is down costs the caller no waiting and the dependency no load."""

    def __init__(
        self, failures: int, reset_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._threshold = max(1, failures)
        self._reset = reset_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "half_open" if self._clock() - self._opened_at >= self._reset else "open"

    def before_call(self) -> None:
        state = self.state
        if state == "open" or (state == "half_open" and self._trial_running):
            raise CircuitOpen("circuit open")
        if state == "half_open":
            self._trial_running = True

    def release(self) -> None:
        """The call ended neither way (cancelled): a half-open circuit may try again."""
        self._trial_running = False

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_running = False

    def record_failure(self) -> None:
        self._trial_running = False
        self._failures += 1
        if self._opened_at is not None or self._failures >= self._threshold:
            self._opened_at = self._clock()


class EventSink(Protocol):
    def track_event(
        self, name: str, properties: dict | None = None, measurements: dict | None = None
    ) -> None: ...


def _default_sink() -> EventSink:
    from core.observability.telemetry import OpenTelemetryBotClient

    return OpenTelemetryBotClient()


class TwinFallback:
    """Runs the Azure call and, when it fails with one of ``errors`` (a closed port, a timeout, a refusal)
    or its circuit is open, the embedded twin for that turn instead, recording ``DependencyDegraded``.

    After ``failures`` consecutive failures the circuit opens for ``reset_seconds``: the twin answers at
    once, so a caller never waits on a dependency known to be down; then one trial call probes it."""

    def __init__(
        self,
        dependency: str,
        failures: int,
        reset_seconds: float,
        telemetry: EventSink | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.dependency = dependency
        self.breaker = CircuitBreaker(failures, reset_seconds, clock)
        self._telemetry = telemetry

    def degraded(self, reason: str) -> None:
        """Record one call served by the twin (the reason names an exception type, never its text)."""
        log.warning("dependency degraded", extra={"dependency": self.dependency, "reason": reason})
        if self._telemetry is None:
            self._telemetry = _default_sink()
        self._telemetry.track_event(
            DEGRADED_EVENT,
            {"dependency": self.dependency, "reason": reason, "circuit": self.breaker.state},
        )

    def allow(self) -> bool:
        """For piecemeal calls (a stream): True to try Azure; False (recorded) when the circuit is open."""
        try:
            self.breaker.before_call()
        except CircuitOpen:
            self.degraded("circuit_open")
            return False
        return True

    def failed(self, exc: BaseException) -> None:
        """The Azure side of a piecemeal call failed: counted, recorded; the caller switches to the twin."""
        self.breaker.record_failure()
        self.degraded(type(exc).__name__)

    async def call(
        self,
        azure: Callable[[], Awaitable[T]],
        twin: Callable[[], Awaitable[T]],
        errors: tuple[type[BaseException], ...],
    ) -> T:
        try:
            self.breaker.before_call()
        except CircuitOpen:
            self.degraded("circuit_open")
            return await twin()
        try:
            result = await azure()
        except errors as exc:
            self.breaker.record_failure()
            self.degraded(type(exc).__name__)
            return await twin()
        except BaseException:
            self.breaker.release()  # not an outage (a bug, a hung-up call): no twin, no count
            raise
        self.breaker.record_success()
        return result


def twin_fallback(dependency: str, settings: Any, telemetry: EventSink | None = None) -> TwinFallback:
    """A ``TwinFallback`` with the breaker thresholds from ``settings.resilience``."""
    r = settings.resilience
    return TwinFallback(dependency, r.breaker_failures, r.breaker_reset_seconds, telemetry)
