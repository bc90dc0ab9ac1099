"""Captures what the bot writes during a test: JSON log lines, OpenTelemetry spans, telemetry calls."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botbuilder.core import BotTelemetryClient, TelemetryLoggerMiddleware
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from core.observability.logging_setup import setup_logging


@contextmanager
def captured_json_logs(settings: Any) -> Iterator[io.StringIO]:
    """The app's own logging set-up (JSON lines, call id, redaction) writing into a string buffer."""
    root = logging.getLogger()
    level = root.level
    stream = io.StringIO()
    handler = setup_logging(settings, stream)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@contextmanager
def captured_spans() -> Iterator[InMemorySpanExporter]:
    """Every span the process finishes, on the global SDK tracer provider (set up when there is none)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        trace.set_tracer_provider(TracerProvider())
        provider = trace.get_tracer_provider()
    exporter = InMemorySpanExporter()
    processor = SimpleSpanProcessor(exporter)
    provider.add_span_processor(processor)  # type: ignore[attr-defined]
    try:
        yield exporter
    finally:
        exporter.shutdown()  # the processor stays registered but exports nothing more


def spans_text(exporter: InMemorySpanExporter) -> str:
    """Names, attributes and event attributes of the captured spans, as one searchable string."""
    out = []
    for span in exporter.get_finished_spans():
        out.append(span.name)
        out.append(json.dumps(dict(span.attributes or {}), default=str))
        for event in span.events:
            out.append(event.name)
            out.append(json.dumps(dict(event.attributes or {}), default=str))
    return "\n".join(out)


@dataclass
class RecordingTelemetryClient(BotTelemetryClient):
    """Forwards to ``inner`` and keeps every call's arguments (what leaves the redacting wrapper)."""

    inner: BotTelemetryClient
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)

    def _keep(self, method: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append((method, args, kwargs))
        getattr(self.inner, method)(*args, **kwargs)

    def track_event(self, *args: Any, **kwargs: Any) -> None:
        self._keep("track_event", *args, **kwargs)

    def track_pageview(self, *args: Any, **kwargs: Any) -> None:
        self._keep("track_pageview", *args, **kwargs)

    def track_exception(self, *args: Any, **kwargs: Any) -> None:
        self._keep("track_exception", *args, **kwargs)

    def track_metric(self, *args: Any, **kwargs: Any) -> None:
        self._keep("track_metric", *args, **kwargs)

    def track_trace(self, *args: Any, **kwargs: Any) -> None:
        self._keep("track_trace", *args, **kwargs)

    def track_request(self, *args: Any, **kwargs: Any) -> None:
        self._keep("track_request", *args, **kwargs)

    def track_dependency(self, *args: Any, **kwargs: Any) -> None:
        self._keep("track_dependency", *args, **kwargs)

    def flush(self) -> None:
        self.inner.flush()

    def text(self) -> str:
        return "\n".join(json.dumps([m, a, k], default=str) for m, a, k in self.calls)


def record_activity_telemetry(adapter: Any) -> RecordingTelemetryClient:
    """Put a recorder behind the adapter's TelemetryLoggerMiddleware (after its redacting wrapper)."""
    for middleware in adapter._middleware._middleware:
        if isinstance(middleware, TelemetryLoggerMiddleware):
            client = middleware.telemetry_client
            inner = getattr(client, "inner", None)
            if inner is not None:  # RedactingTelemetryClient: record what it forwards
                recorder = RecordingTelemetryClient(inner)
                client.inner = recorder
            else:
                recorder = RecordingTelemetryClient(client)
                middleware._telemetry_client = recorder
            return recorder
    raise AssertionError("the adapter has no TelemetryLoggerMiddleware")
