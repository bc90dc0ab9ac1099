"""In-process metrics (counters, sliding-window histograms, gauges) mirrored to OpenTelemetry meters."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import metrics as otel_metrics

from core.observability.history import MetricsHistory

METER_NAME = "contoso.voicebot"
Labels = tuple[tuple[str, str], ...]


def _labels(labels: dict[str, Any]) -> Labels:
    return tuple(sorted((k, str(v)) for k, v in labels.items()))


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


class Counter:
    """A monotonically increasing count per label set; also keeps event times for windowed rates."""

    def __init__(
        self, name: str, meter: otel_metrics.Meter, clock: Callable[[], float], description: str = ""
    ):
        self.name = name
        self._values: dict[Labels, float] = {}
        self._events: deque[tuple[float, Labels, float]] = deque(maxlen=100_000)
        self._clock = clock
        self._lock = threading.Lock()
        self._otel = meter.create_counter(name, description=description)

    def inc(self, amount: float = 1.0, **labels: Any) -> None:
        key = _labels(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount
            self._events.append((self._clock(), key, amount))
        self._otel.add(amount, dict(key))

    def total(self, **labels: Any) -> float:
        """Sum over label sets that contain the given labels."""
        want = set(_labels(labels))
        return sum(v for k, v in self._values.items() if want <= set(k))

    def in_window(self, seconds: float, **labels: Any) -> float:
        """Sum of increments in the last `seconds` over matching label sets."""
        cutoff, want = self._clock() - seconds, set(_labels(labels))
        with self._lock:
            return sum(a for t, k, a in self._events if t >= cutoff and want <= set(k))

    def snapshot(self) -> dict[str, float]:
        return {",".join(f"{k}={v}" for k, v in key) or "_": value for key, value in self._values.items()}


class Histogram:
    """Observations kept for a sliding window; reports count, mean and p50/p95/p99 over it."""

    def __init__(
        self,
        name: str,
        meter: otel_metrics.Meter,
        clock: Callable[[], float],
        unit: str = "ms",
        window_seconds: float = 300.0,
        description: str = "",
    ):
        self.name, self.unit, self.window = name, unit, window_seconds
        self._obs: dict[Labels, deque[tuple[float, float]]] = {}
        self._clock = clock
        self._lock = threading.Lock()
        self._otel = meter.create_histogram(name, unit=unit, description=description)

    def observe(self, value: float, **labels: Any) -> None:
        key = _labels(labels)
        with self._lock:
            self._obs.setdefault(key, deque(maxlen=20_000)).append((self._clock(), float(value)))
        self._otel.record(value, dict(key))

    def _values(self, key: Labels) -> list[float]:
        cutoff = self._clock() - self.window
        series = self._obs.get(key, deque())
        while series and series[0][0] < cutoff:
            series.popleft()
        return sorted(v for _, v in series)

    def summary(self, **labels: Any) -> dict[str, float]:
        with self._lock:
            values = self._values(_labels(labels))
        return _summarise(values)

    def snapshot(self) -> dict[str, dict[str, float]]:
        with self._lock:
            keys = list(self._obs)
            out = {",".join(f"{k}={v}" for k, v in key) or "_": _summarise(self._values(key)) for key in keys}
        return {k: v for k, v in out.items() if v["count"]}


def _summarise(values: list[float]) -> dict[str, float]:
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "mean": round(sum(values) / len(values), 3),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": values[-1],
    }


class Gauge:
    """A value read at collection time: set directly, or computed by a callback."""

    def __init__(
        self,
        name: str,
        meter: otel_metrics.Meter,
        read: Callable[[], float] | None = None,
        description: str = "",
    ):
        self.name = name
        self._value = 0.0
        self._read = read
        self._lock = threading.Lock()
        meter.create_observable_gauge(name, callbacks=[self._observe], description=description)

    def _observe(self, options: Any) -> Iterable[otel_metrics.Observation]:
        return [otel_metrics.Observation(self.value)]

    def set(self, value: float) -> None:
        self._value = value

    def add(self, delta: float) -> None:
        with self._lock:
            self._value += delta

    @property
    def value(self) -> float:
        return float(self._read()) if self._read else self._value


class MetricsRegistry:
    """Named counters, histograms and gauges; `snapshot()` is the JSON served at /metrics."""

    def __init__(self, clock: Callable[[], float] = time.time, meter: otel_metrics.Meter | None = None):
        self.clock = clock
        self.meter = meter or otel_metrics.get_meter(METER_NAME)
        self.counters: dict[str, Counter] = {}
        self.histograms: dict[str, Histogram] = {}
        self.gauges: dict[str, Gauge] = {}

    def counter(self, name: str, description: str = "") -> Counter:
        if name not in self.counters:
            self.counters[name] = Counter(name, self.meter, self.clock, description)
        return self.counters[name]

    def histogram(
        self, name: str, unit: str = "ms", window_seconds: float = 300.0, description: str = ""
    ) -> Histogram:
        if name not in self.histograms:
            self.histograms[name] = Histogram(name, self.meter, self.clock, unit, window_seconds, description)
        return self.histograms[name]

    def gauge(self, name: str, read: Callable[[], float] | None = None, description: str = "") -> Gauge:
        if name not in self.gauges:
            self.gauges[name] = Gauge(name, self.meter, read, description)
        return self.gauges[name]

    def snapshot(self) -> dict[str, Any]:
        return {
            "time": self.clock(),
            "counters": {n: c.snapshot() for n, c in self.counters.items()},
            "histograms": {n: h.snapshot() for n, h in self.histograms.items()},
            "gauges": {n: g.value for n, g in self.gauges.items()},
        }


class VoicebotMetrics(MetricsRegistry):
    """The bot's own metrics with domain helpers: stage latencies, intents, calls, escalations."""

    STAGES = ("stt", "recognizer", "llm", "retrieval", "crm", "tts", "turn", "endpointing", "voice_to_voice")
    """``voice_to_voice``: end of caller speech -> first reply audio frame (what the caller waits)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        meter: otel_metrics.Meter | None = None,
        escalation_window_seconds: float = 3600.0,
        latency_window_seconds: float = 300.0,
        history: MetricsHistory | None = None,
    ):
        super().__init__(clock, meter)
        self.history = history or MetricsHistory(None, clock)
        """Bucketed history for the dashboard's charts (in the state store when given one)."""
        self.escalation_window = escalation_window_seconds
        self._escalation_source: Callable[[], float] | None = None
        self._escalation_counts: Callable[[], tuple[int, int]] | None = None
        self.latency = self.histogram("latency_ms", "ms", latency_window_seconds, "per-stage latency")
        self.intents = self.counter("intents", "top intent per recognised turn")
        self.intent_score = self.histogram(
            "intent_score", "1", latency_window_seconds, "top intent confidence"
        )
        self.calls_started = self.counter("calls_started")
        self.calls_ended = self.counter("calls_ended", "by outcome: contained | transferred | abandoned")
        self.escalations = self.counter("escalations", "by reason")
        self.llm_tokens = self.counter("llm_tokens", "by kind: prompt | completion")
        self.rate_limited = self.counter("llm_rate_limited", "by scope: caller | instance")
        self.calls_in_progress = self.gauge("calls_in_progress")
        self.gauge(
            "escalation_rate", read=self.escalation_rate, description="escalations / ended calls, window"
        )

    def observe_latency(self, stage: str, milliseconds: float) -> None:
        self.latency.observe(milliseconds, stage=stage)
        self.history.latency(stage, milliseconds)

    @contextmanager
    def timer(self, stage: str) -> Iterator[None]:
        """`with metrics.timer("crm"): ...` records the block's wall time as that stage's latency."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.observe_latency(stage, (time.perf_counter() - start) * 1000.0)

    def record_intent(self, intent: str, score: float | None = None) -> None:
        self.intents.inc(intent=intent)
        if score is not None:
            self.intent_score.observe(score)

    def call_started(self) -> None:
        self.calls_started.inc()
        self.calls_in_progress.add(1)
        self.history.call_started()

    def call_ended(self, outcome: str) -> None:
        self.calls_ended.inc(outcome=outcome)
        self.calls_in_progress.add(-1)
        self.history.call_ended(outcome)

    def record_llm_tokens(self, purpose: str, prompt: int, completion: int) -> None:
        """Tokens a language-model call used (purpose: ``knowledge`` answers, handoff ``summary``)."""
        self.llm_tokens.inc(prompt, kind="prompt", purpose=purpose)
        self.llm_tokens.inc(completion, kind="completion", purpose=purpose)

    def record_escalation(self, reason: str, language: str = "") -> None:
        self.escalations.inc(reason=reason)
        self.history.handoff(reason, language)

    def use_escalation_source(
        self, rate: Callable[[], float], counts: Callable[[], tuple[int, int]] | None = None
    ) -> None:
        """Report another component's rate (and its ``(escalated, ended)`` counts) instead, e.g. the
        `EscalationMonitor`'s, so the dashboard, /metrics and the `escalation_rate` OpenTelemetry gauge
        (the Azure alert's input) agree with it."""
        self._escalation_source = rate
        self._escalation_counts = counts

    def escalation_rate(self) -> float:
        """Escalations over calls ended in the sliding window (0 when no call ended)."""
        if self._escalation_source is not None:
            return float(self._escalation_source())
        escalated, ended = self.escalation_counts()
        return 0.0 if ended == 0 else min(1.0, escalated / ended)

    def escalation_counts(self) -> tuple[int, int]:
        """``(escalated, ended)`` calls in the window: the numbers behind the rate."""
        if self._escalation_counts is not None:
            return self._escalation_counts()
        window = self.escalation_window
        return int(self.escalations.in_window(window)), int(self.calls_ended.in_window(window))

    def snapshot(self) -> dict[str, Any]:
        snap = super().snapshot()
        snap["summary"] = {
            "calls_in_progress": self.calls_in_progress.value,
            "escalation_rate": round(self.escalation_rate(), 4),
            "escalation_counts": dict(zip(("escalated", "ended"), self.escalation_counts(), strict=True)),
            "escalation_window_seconds": self.escalation_window,
            "latency_ms": {stage: self.latency.summary(stage=stage) for stage in self.STAGES},
            "intents": {k.split("=", 1)[1]: v for k, v in self.intents.snapshot().items() if "=" in k},
        }
        return snap
