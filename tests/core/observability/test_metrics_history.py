"""The dashboard's counters that matter live in the state store: a restart or a second instance keeps them."""

from __future__ import annotations

from core.observability.history import MetricsHistory, percentiles
from core.observability.metrics import VoicebotMetrics
from services.handoff.kpi import EscalationMonitor
from storage.sqlite_storage import SqliteStorage


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _instance(path, clock: Clock) -> tuple[VoicebotMetrics, EscalationMonitor]:
    """How app.py wires one bot process: history in the store, the monitor restored from it."""
    metrics = VoicebotMetrics(clock=clock, history=MetricsHistory(SqliteStorage(path), clock))
    monitor = EscalationMonitor(window_seconds=3600, min_calls=1)
    return metrics, monitor


async def _start(path, clock: Clock) -> tuple[VoicebotMetrics, EscalationMonitor]:
    metrics, monitor = _instance(path, clock)
    monitor.restore(await metrics.history.ended_calls(monitor.window_seconds))
    monitor.on_call(metrics.history.call_escalated)
    metrics.use_escalation_source(monitor.rate, monitor.counts)
    return metrics, monitor


def _calls(metrics: VoicebotMetrics, monitor: EscalationMonitor, escalated: list[bool]) -> None:
    for handed_over in escalated:
        metrics.call_started()
        metrics.call_ended("transferred" if handed_over else "contained")
        monitor.record(escalated=handed_over)
        if handed_over:
            metrics.record_escalation("fraud", "es-MX")


async def test_a_restart_keeps_the_escalation_rate_and_the_history(tmp_path) -> None:
    clock = Clock()
    metrics, monitor = await _start(tmp_path / "state.sqlite3", clock)
    _calls(metrics, monitor, [True, False, False, True])
    assert metrics.snapshot()["summary"]["escalation_rate"] == 0.5
    await metrics.history.flush()  # the app flushes every 5 s and at shutdown

    clock.now += 90  # the process restarts a minute and a half later
    restarted, _ = await _start(tmp_path / "state.sqlite3", clock)
    summary = restarted.snapshot()["summary"]
    assert summary["escalation_rate"] == 0.5
    assert summary["escalation_counts"] == {"escalated": 2, "ended": 4}
    chart = await restarted.history.chart("hour")
    assert chart["totals"]["calls"] == 4
    assert chart["totals"]["handoffs_by_reason"] == {"fraud": 2}
    assert chart["totals"]["handoffs_by_language"] == {"es-MX": 2}
    assert sum(point["calls"] for point in chart["series"]) == 4


async def test_two_instances_add_up_in_one_store(tmp_path) -> None:
    clock = Clock()
    first, first_monitor = await _start(tmp_path / "state.sqlite3", clock)
    second, second_monitor = await _start(tmp_path / "state.sqlite3", clock)
    _calls(first, first_monitor, [True, False])
    _calls(second, second_monitor, [False, False, True, True])
    for metrics in (first, second):
        metrics.observe_latency("voice_to_voice", 1000)
        await metrics.history.flush()
    totals = (await first.history.chart("day"))["totals"]
    assert (totals["calls"], totals["counted"], totals["escalated"]) == (6, 6, 3)
    assert totals["latency"]["voice_to_voice"]["p50"] is not None


async def test_calls_older_than_the_window_leave_the_rate(tmp_path) -> None:
    clock = Clock()
    metrics, monitor = await _start(tmp_path / "state.sqlite3", clock)
    _calls(metrics, monitor, [True, True])
    await metrics.history.flush()
    clock.now += 2 * 3600
    restarted, _ = await _start(tmp_path / "state.sqlite3", clock)
    assert restarted.snapshot()["summary"]["escalation_counts"] == {"escalated": 0, "ended": 0}
    assert (await restarted.history.chart("day"))["totals"]["escalated"] == 2  # still on the day chart


async def test_binned_percentiles_are_within_ten_percent() -> None:
    history = MetricsHistory(None)
    for value in (120.0, 250.0, 800.0, 1200.0, 5000.0):
        history.latency("stt", value)
    stt = (await history.chart("hour"))["totals"]["latency"]["stt"]
    assert abs(stt["p50"] - 800) / 800 < 0.1
    assert abs(stt["p95"] - 5000) / 5000 < 0.1
    assert percentiles({}, 50) == [None]
