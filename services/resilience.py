"""Outages degrade, never loop: one circuit breaker for every dependency, and fallback to an embedded twin."""

from __future__ import annotations

import time
from collections.abc import Callable


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

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_running = False

    def record_failure(self) -> None:
        self._trial_running = False
        self._failures += 1
        if self._opened_at is not None or self._failures >= self._threshold:
            self._opened_at = self._clock()
