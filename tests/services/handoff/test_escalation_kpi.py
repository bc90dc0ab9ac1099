"""Escalation rate over a sliding window: alert at the threshold, not below, once per breach."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from services.handoff.base import EscalationReason
from services.handoff.kpi import ALERT_EVENT, EscalationMonitor, EscalationSnapshot
from tests.services.handoff.conftest import block_card_journal


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class RecordingTelemetry:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any] | None, dict[str, float] | None]] = []

    def track_event(self, name, properties=None, measurements=None) -> None:
        self.events.append((name, properties, measurements))


def _feed(monitor: EscalationMonitor, escalated: int, contained: int) -> None:
    for _ in range(contained):
        monitor.record(escalated=False)
    for _ in range(escalated):
        monitor.record(escalated=True)


def test_alert_fires_at_the_threshold(caplog: pytest.LogCaptureFixture) -> None:
    telemetry = RecordingTelemetry()
    monitor = EscalationMonitor(window_seconds=3600, threshold=0.40, min_calls=10, telemetry=telemetry)
    with caplog.at_level(logging.WARNING, logger="services.handoff.kpi"):
        _feed(monitor, escalated=4, contained=6)  # exactly 40 %
    assert monitor.rate() == pytest.approx(0.40)
    assert [name for name, _, _ in telemetry.events] == [ALERT_EVENT]
    _, properties, measurements = telemetry.events[0]
    assert properties is not None and properties["calls"] == "10" and properties["escalated"] == "4"
    assert measurements is not None and measurements["escalation_rate"] == pytest.approx(0.40)
    alerts = [r for r in caplog.records if getattr(r, "event", None) == ALERT_EVENT]
    assert len(alerts) == 1 and alerts[0].levelno == logging.WARNING
    assert alerts[0].escalation_rate == pytest.approx(0.40)


def test_no_alert_just_below_the_threshold(caplog: pytest.LogCaptureFixture) -> None:
    telemetry = RecordingTelemetry()
    monitor = EscalationMonitor(window_seconds=3600, threshold=0.40, min_calls=10, telemetry=telemetry)
    with caplog.at_level(logging.WARNING):
        _feed(monitor, escalated=39, contained=61)  # 39 %
    assert monitor.rate() == pytest.approx(0.39)
    assert telemetry.events == []
    assert not [r for r in caplog.records if getattr(r, "event", None) == ALERT_EVENT]


def test_one_alert_per_breach_and_rearmed_after_recovery() -> None:
    telemetry = RecordingTelemetry()
    monitor = EscalationMonitor(window_seconds=3600, threshold=0.40, min_calls=10, telemetry=telemetry)
    _feed(monitor, escalated=6, contained=4)  # 60 %: breach
    _feed(monitor, escalated=5, contained=0)  # still above: no repeat
    assert len(telemetry.events) == 1 and monitor.snapshot().alerting
    _feed(monitor, escalated=0, contained=20)  # 11/35 = 31 %: re-armed
    assert not monitor.snapshot().alerting
    _feed(monitor, escalated=10, contained=0)  # 21/45 = 47 %: a new breach
    assert len(telemetry.events) == 2


def test_few_calls_do_not_alert() -> None:
    monitor = EscalationMonitor(threshold=0.40, min_calls=10)
    _feed(monitor, escalated=3, contained=0)
    assert monitor.rate() == 1.0 and not monitor.snapshot().alerting


def test_old_calls_leave_the_window() -> None:
    clock = FakeClock()
    monitor = EscalationMonitor(window_seconds=3600, threshold=0.40, min_calls=1, clock=clock)
    _feed(monitor, escalated=5, contained=0)
    clock.now += 1800
    _feed(monitor, escalated=0, contained=5)
    assert monitor.rate() == pytest.approx(0.5)
    clock.now += 1801  # the escalations are now more than an hour old
    assert monitor.rate() == 0.0
    assert monitor.snapshot().calls == 5


def test_metrics_hook_sees_every_change() -> None:
    seen: list[EscalationSnapshot] = []
    alerts: list[EscalationSnapshot] = []
    monitor = EscalationMonitor(threshold=0.5, min_calls=2)
    monitor.on_change(seen.append)
    monitor.on_alert(alerts.append)
    _feed(monitor, escalated=1, contained=1)
    assert [round(s.rate, 2) for s in seen] == [0.0, 0.5]
    assert len(alerts) == 1 and alerts[0].alerting


async def test_service_feeds_the_monitor_from_call_ends(make_service) -> None:
    service = make_service(monitor=EscalationMonitor(threshold=0.40, min_calls=5))
    for n in range(3):
        await service.call_ended(block_card_journal(f"contained-{n}"), "contained")
    for n in range(2):
        journal = block_card_journal(f"escalated-{n}")
        await service.escalate(journal, EscalationReason.CALLER_REQUEST)
        await service.call_ended(journal, "abandoned")  # hung up in the queue: still an escalation
    snap = service.monitor.snapshot()
    assert (snap.calls, snap.escalated, snap.alerting) == (5, 2, True)


def test_a_rate_hovering_at_the_threshold_alerts_once() -> None:
    telemetry = RecordingTelemetry()
    monitor = EscalationMonitor(threshold=0.40, min_calls=10, telemetry=telemetry)
    _feed(monitor, escalated=4, contained=6)  # 40 %: alert
    for _ in range(20):  # 4/11 = 36 %, 5/12 = 42 %, ... up and down across the line
        monitor.record(escalated=False)
        monitor.record(escalated=True)
    assert len(telemetry.events) == 1
