"""Handoff flood brake: new handoffs per caller number and per instance within sliding windows."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable

from config import SecuritySettings
from services.handoff.base import HandoffError
from services.handoff.kpi import TelemetrySink

logger = logging.getLogger(__name__)

HANDOFF_RATE_LIMIT_EVENT = "HandoffRateLimited"
MAX_TRACKED_CALLERS = 10_000


class HandoffRateLimited(HandoffError):
    """Too many handoffs: ``scope`` is "caller" (this number) or "instance"."""

    def __init__(self, scope: str) -> None:
        super().__init__(f"handoff {scope} limit reached")
        self.scope = scope


class HandoffRateLimiter:
    """Admits a handoff while the caller's number and the instance are under their limits.

    A junk flood (many calls asking for an agent) would otherwise fill the agents' queue and their
    phone line. Callers whose number is unknown share only the instance limit. A refused handoff is
    not counted; each refusal is logged (number pseudonymised) and sent as a telemetry event."""

    def __init__(
        self,
        per_caller: int,
        caller_window_seconds: float,
        per_instance: int,
        instance_window_seconds: float,
        telemetry: TelemetrySink | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._per_caller, self._caller_window = per_caller, caller_window_seconds
        self._per_instance, self._instance_window = per_instance, instance_window_seconds
        self._telemetry = telemetry
        self._clock = clock
        self._callers: dict[str, deque[float]] = {}
        self._instance: deque[float] = deque()

    @classmethod
    def from_settings(
        cls, security: SecuritySettings, telemetry: TelemetrySink | None = None
    ) -> HandoffRateLimiter:
        return cls(
            security.handoffs_per_caller,
            security.handoff_caller_window_seconds,
            security.handoffs_per_instance,
            security.handoff_instance_window_seconds,
            telemetry,
        )

    @staticmethod
    def _recent(stamps: deque[float], now: float, window: float) -> int:
        while stamps and stamps[0] <= now - window:
            stamps.popleft()
        return len(stamps)

    def admit(self, caller_ref: str) -> None:
        """Count one handoff for ``caller_ref``, or raise HandoffRateLimited without counting it."""
        now = self._clock()
        stamps = self._callers.get(caller_ref) if caller_ref else None
        if stamps is not None and self._recent(stamps, now, self._caller_window) >= self._per_caller:
            self._refuse("caller", caller_ref)
        if self._recent(self._instance, now, self._instance_window) >= self._per_instance:
            self._refuse("instance", caller_ref)
        if caller_ref:
            if caller_ref not in self._callers and len(self._callers) >= MAX_TRACKED_CALLERS:
                self._callers.pop(next(iter(self._callers)))
            self._callers.setdefault(caller_ref, deque()).append(now)
        self._instance.append(now)

    def _refuse(self, scope: str, caller_ref: str) -> None:
        properties = {"scope": scope, "caller": caller_ref}
        logger.warning("handoff refused: rate limit", extra={"event": HANDOFF_RATE_LIMIT_EVENT, **properties})
        if self._telemetry is not None:
            self._telemetry.track_event(HANDOFF_RATE_LIMIT_EVENT, properties)
        raise HandoffRateLimited(scope)
