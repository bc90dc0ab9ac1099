"""Language-model calls are limited per caller and per instance over a sliding minute."""

from __future__ import annotations

import io
import json
import logging

import pytest

from core.observability.logging_setup import configure_logging
from core.observability.metrics import VoicebotMetrics
from core.ratelimit import RATE_LIMIT_EVENT, LanguageModelRateLimiter, RateLimitExceeded


class Events:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []

    def track_event(
        self, name: str, properties: dict | None = None, measurements: dict | None = None
    ) -> None:
        self.events.append((name, dict(properties or {})))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_caller_over_the_limit_is_refused_until_the_window_slides() -> None:
    clock, events, metrics = Clock(), Events(), VoicebotMetrics()
    limiter = LanguageModelRateLimiter(
        per_caller=3, per_instance=100, clock=clock, telemetry=events, metrics=metrics
    )
    for second in (0, 10, 20):
        clock.now = second
        async with limiter.limit("+14255550100"):
            pass
    clock.now = 30
    with pytest.raises(RateLimitExceeded) as info:
        await limiter.acquire("+14255550100")
    assert info.value.scope == "caller" and info.value.retry_after == pytest.approx(30)
    await limiter.acquire("+14255550111")  # another caller is unaffected
    clock.now = 60.5  # the call at t=0 has left the window
    await limiter.acquire("+14255550100")
    assert events.events[0][0] == RATE_LIMIT_EVENT and events.events[0][1]["scope"] == "caller"
    assert "+14255550100" not in json.dumps(events.events)
    assert metrics.counters["llm_rate_limited"].total(scope="caller") == 1


async def test_the_instance_limit_covers_all_callers_and_refusals_are_logged() -> None:
    stream = io.StringIO()
    handler = configure_logging("INFO", stream=stream)
    try:
        clock = Clock()
        limiter = LanguageModelRateLimiter(per_caller=10, per_instance=5, clock=clock)
        for i in range(5):
            await limiter.acquire(f"caller-{i}")
        with pytest.raises(RateLimitExceeded) as info:
            await limiter.acquire("caller-9")
        assert info.value.scope == "instance"
        assert limiter.usage() == 5  # the refused call was not counted
    finally:
        logging.getLogger().removeHandler(handler)
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["event"] == RATE_LIMIT_EVENT and line["scope"] == "instance" and line["level"] == "WARNING"
