"""Escalation rate over a sliding window of ended calls, with a one-shot alert per threshold breach."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

logger = logging.getLogger(__name__)

ALERT_EVENT = "escalation_rate_alert"


class TelemetrySink(Protocol):
    """The part of botbuilder's ``BotTelemetryClient`` (or any telemetry client) the monitor uses."""

    def track_event(
        self,
        name: str,
        properties: dict[str, Any] | None = None,
        measurements: dict[str, float] | None = None,
    ) -> None: ...


@dataclass(frozen=True)
class EscalationSnapshot:
    rate: float
    calls: int
    escalated: int
    window_seconds: float
    threshold: float
    alerting: bool


RateListener = Callable[[EscalationSnapshot], None]


class EscalationMonitor:
    """Counts ended calls in the last ``window_seconds``; alerts once when the rate reaches the threshold.

    The alert fires when ``rate >= threshold`` with at least ``min_calls`` calls in the window (so
    the first escalated call of a quiet night does not page anyone), and re-arms only after the rate
    has dropped below ``threshold - rearm_margin``: a rate hovering at the line (one escalation up,
    one contained call down) is one breach, not an alert per call.
    """

    def __init__(
        self,
        window_seconds: float = 3600,
        threshold: float = 0.40,
        min_calls: int = 10,
        rearm_margin: float = 0.05,
        telemetry: TelemetrySink | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window_seconds = float(window_seconds)
        self.threshold = threshold
        self.min_calls = max(1, min_calls)
        self.rearm_margin = rearm_margin
        self._telemetry = telemetry
        self._clock = clock
        self._events: deque[tuple[float, bool]] = deque()
        self._escalated = 0
        self._alerting = False
        self._listeners: list[RateListener] = []
        self._alert_listeners: list[RateListener] = []
        self._call_listeners: list[Callable[[bool], None]] = []

    def on_change(self, listener: RateListener) -> None:
        """Called after every recorded call with the new snapshot (e.g. to set a metrics gauge)."""
        self._listeners.append(listener)

    def on_call(self, listener: Callable[[bool], None]) -> None:
        """Called with each recorded call's ``escalated`` flag (e.g. to keep it in the metrics history)."""
        self._call_listeners.append(listener)

    def restore(self, calls: list[tuple[float, bool]]) -> None:
        """Calls ended before a restart, as ``(age in seconds, escalated)``: the window resumes with them
        (no alert is raised for them; listeners are not told, the figures are already stored)."""
        now = self._clock()
        for age, escalated in sorted(calls, key=lambda call: -call[0]):
            self._events.append((now - age, escalated))
            self._escalated += escalated
        self._expire()
        snap = self.snapshot()
        self._alerting = snap.calls >= self.min_calls and snap.rate >= self.threshold

    def on_alert(self, listener: RateListener) -> None:
        """Called once per breach, next to the log warning and the telemetry event."""
        self._alert_listeners.append(listener)

    def _expire(self) -> None:
        horizon = self._clock() - self.window_seconds
        while self._events and self._events[0][0] <= horizon:
            _, escalated = self._events.popleft()
            self._escalated -= escalated

    def rate(self) -> float:
        """Escalated calls / ended calls in the window (0.0 with no calls)."""
        self._expire()
        return self._escalated / len(self._events) if self._events else 0.0

    def counts(self) -> tuple[int, int]:
        """``(escalated, ended)`` calls in the window."""
        self._expire()
        return self._escalated, len(self._events)

    def snapshot(self) -> EscalationSnapshot:
        rate = self.rate()
        return EscalationSnapshot(
            rate=rate,
            calls=len(self._events),
            escalated=self._escalated,
            window_seconds=self.window_seconds,
            threshold=self.threshold,
            alerting=self._alerting,
        )

    def record(self, escalated: bool) -> EscalationSnapshot:
        """One ended call: escalated (handed to an agent, whether or not the transfer connected) or not."""
        self._events.append((self._clock(), escalated))
        self._escalated += escalated
        for call_listener in self._call_listeners:
            call_listener(escalated)
        snap = self.snapshot()
        breached = snap.calls >= self.min_calls and snap.rate >= self.threshold
        if breached and not self._alerting:
            self._alerting = True
            snap = self.snapshot()
            self._raise_alert(snap)
        elif self._alerting and snap.rate < self.threshold - self.rearm_margin:
            self._alerting = False
            logger.info(
                "escalation rate back below threshold", extra={"escalation_rate": round(snap.rate, 4)}
            )
            snap = self.snapshot()
        for listener in self._listeners:
            listener(snap)
        return snap

    def _raise_alert(self, snap: EscalationSnapshot) -> None:
        properties = {
            "escalation_rate": round(snap.rate, 4),
            "threshold": snap.threshold,
            "calls": snap.calls,
            "escalated": snap.escalated,
            "window_seconds": snap.window_seconds,
        }
        logger.warning("escalation rate above threshold", extra={"event": ALERT_EVENT, **properties})
        if self._telemetry is not None:
            self._telemetry.track_event(
                ALERT_EVENT,
                {k: str(v) for k, v in properties.items()},
                {"escalation_rate": snap.rate, "calls": float(snap.calls)},
            )
        for listener in self._alert_listeners:
            listener(snap)
