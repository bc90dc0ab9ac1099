"""Times every awaited call of a backend under one stage name (CRM, retrieval, LLM): a span and a latency."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from opentelemetry.trace import SpanKind

from core.observability.metrics import VoicebotMetrics
from core.observability.stages import stage


class TimedBackend:
    """A transparent proxy: coroutine methods are timed, everything else passes straight through."""

    def __init__(self, inner: Any, metrics: VoicebotMetrics, stage: str) -> None:
        self._inner, self._metrics, self._stage = inner, metrics, stage

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute
        return self._timed(attribute)

    def _timed(self, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        operation = {"voicebot.operation": method.__name__}

        async def call(*args: Any, **kwargs: Any) -> Any:
            with stage(self._metrics, self._stage, SpanKind.CLIENT, operation):
                return await method(*args, **kwargs)

        return call
