"""Bot Framework telemetry on OpenTelemetry (Azure Monitor when configured); every property is redacted.

botbuilder-applicationinsights pins the retired `applicationinsights` SDK, so this implements
`BotTelemetryClient` directly on OpenTelemetry: events become span events plus a log record carrying
`microsoft.custom_event.name` (Azure Monitor's exporter turns those into customEvents), dependencies
and requests become CLIENT/SERVER spans, metrics go to OpenTelemetry histograms.
"""

from __future__ import annotations

import logging
import re
import traceback as tb
from collections.abc import Mapping
from typing import Any

from botbuilder.core import BotTelemetryClient, Severity
from botbuilder.core.bot_telemetry_client import TelemetryDataPointType
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode, get_current_span

from core.observability.logging_setup import current_call_id
from core.observability.metrics import VoicebotMetrics
from core.observability.stages import end_span_after
from core.privacy.redaction import install_redaction_filter, redact

log = logging.getLogger(__name__)
events_log = logging.getLogger("voicebot.events")

TRACER_NAME = "contoso.voicebot"
CUSTOM_EVENT_ATTRIBUTE = "microsoft.custom_event.name"
# TelemetryLoggerMiddleware always sends these; on a phone call they are phone numbers.
IDENTITY_KEYS = frozenset({"fromId", "fromName", "recipientId", "recipientName"})
_SEVEN_DIGITS = re.compile(r"(?:\D*\d){7}")
_SEVERITY = {
    Severity.verbose: logging.DEBUG,
    Severity.information: logging.INFO,
    Severity.warning: logging.WARNING,
    Severity.error: logging.ERROR,
    Severity.critical: logging.CRITICAL,
}


def redact_properties(properties: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of telemetry properties with personal data removed; numeric caller/recipient ids dropped."""
    clean: dict[str, Any] = {}
    for key, value in (properties or {}).items():
        text = value if isinstance(value, str) else str(value) if value is not None else ""
        text = redact(text)
        if key in IDENTITY_KEYS and _SEVEN_DIGITS.match(text):
            text = "[REDACTED]"
        clean[key] = text
    call_id = current_call_id()
    if call_id and "call_id" not in clean:
        clean["call_id"] = call_id
    return clean


def _measurements(measurements: Mapping[str, Any] | None) -> dict[str, float]:
    return {
        f"measurement.{k}": float(v) for k, v in (measurements or {}).items() if isinstance(v, int | float)
    }


class OpenTelemetryBotClient(BotTelemetryClient):
    """`BotTelemetryClient` that writes OpenTelemetry spans, span events, logs and metrics."""

    def __init__(self, metrics: VoicebotMetrics | None = None, tracer: trace.Tracer | None = None) -> None:
        self._tracer = tracer or trace.get_tracer(TRACER_NAME)
        self._metrics = metrics

    def _attributes(
        self, properties: Mapping[str, Any] | None, measurements: Mapping[str, Any] | None
    ) -> dict:
        return {**redact_properties(properties), **_measurements(measurements)}

    def track_event(
        self, name: str, properties: dict | None = None, measurements: dict | None = None
    ) -> None:
        attrs = self._attributes(properties, measurements)
        span = trace.get_current_span()
        if span.is_recording():
            span.add_event(name, attrs)
        else:
            with self._tracer.start_as_current_span(f"event {name}") as own:
                own.add_event(name, attrs)
        events_log.info(name, extra={CUSTOM_EVENT_ATTRIBUTE: name, **attrs})

    def track_pageview(
        self,
        name: str,
        url: str,
        duration: int = 0,
        properties: dict | None = None,
        measurements: dict | None = None,
    ) -> None:
        self.track_event(
            f"pageview {name}", {**(properties or {}), "url": url, "duration_ms": duration}, measurements
        )

    def track_exception(
        self,
        exception_type: type | None = None,
        value: BaseException | None = None,
        trace: Any = None,
        properties: dict | None = None,
        measurements: dict | None = None,
    ) -> None:
        attrs = self._attributes(properties, measurements)
        attrs["exception.type"] = getattr(exception_type or type(value), "__name__", "Exception")
        attrs["exception.message"] = redact(str(value)) if value is not None else ""
        if trace is not None:
            attrs["exception.stacktrace"] = redact("".join(tb.format_tb(trace)))
        # ``trace`` is the traceback here (BotTelemetryClient's parameter name), not the OTel module.
        span = get_current_span()
        if span.is_recording():
            span.add_event("exception", attrs)
            span.set_status(Status(StatusCode.ERROR))
        else:
            own = self._tracer.start_span("exception")
            own.add_event("exception", attrs)
            own.set_status(Status(StatusCode.ERROR))
            own.end()
        log.error("exception tracked: %s", attrs["exception.type"], extra={"properties": attrs})

    def track_metric(
        self,
        name: str,
        value: float,
        tel_type: TelemetryDataPointType | None = None,
        count: int | None = None,
        min_val: float | None = None,
        max_val: float | None = None,
        std_dev: float | None = None,
        properties: dict | None = None,
    ) -> None:
        registry = self._metrics
        if registry is not None:
            registry.histogram(name, unit="1").observe(value)
        span = trace.get_current_span()
        if span.is_recording():
            span.set_attribute(f"metric.{name}", float(value))

    def track_trace(
        self, name: str, properties: dict | None = None, severity: Severity | None = None
    ) -> None:
        level = _SEVERITY.get(severity, logging.INFO) if severity is not None else logging.INFO
        log.log(level, name, extra={"properties": redact_properties(properties)})

    def track_request(
        self,
        name: str,
        url: str,
        success: bool,
        start_time: str | None = None,
        duration: int | None = None,
        response_code: str | None = None,
        http_method: str | None = None,
        properties: dict | None = None,
        measurements: dict | None = None,
        request_id: str | None = None,
    ) -> None:
        attrs = self._attributes(properties, measurements)
        attrs.update({"http.url": redact(url or ""), "http.status_code": str(response_code or "")})
        if http_method:
            attrs["http.method"] = http_method
        end_span_after(self._tracer, name, duration or 0, SpanKind.SERVER, attrs, failed=success is False)

    def track_dependency(
        self,
        name: str,
        data: str,
        type_name: str | None = None,
        target: str | None = None,
        duration: int | None = None,
        success: bool | None = None,
        result_code: str | None = None,
        properties: dict | None = None,
        measurements: dict | None = None,
        dependency_id: str | None = None,
    ) -> None:
        attrs = self._attributes(properties, measurements)
        attrs.update(
            {
                "dependency.data": redact(data or ""),
                "dependency.type": type_name or "",
                "dependency.target": target or "",
                "dependency.result_code": str(result_code or ""),
            }
        )
        end_span_after(self._tracer, name, duration or 0, SpanKind.CLIENT, attrs, failed=success is False)
        if self._metrics is not None and duration is not None:
            self._metrics.observe_latency(type_name or name, float(duration))

    def flush(self) -> None:
        provider = trace.get_tracer_provider()
        force_flush = getattr(provider, "force_flush", None)
        if callable(force_flush):
            force_flush()


class RedactingTelemetryClient(BotTelemetryClient):
    """Wraps any `BotTelemetryClient` (e.g. for TelemetryLoggerMiddleware) and redacts what it forwards."""

    def __init__(self, inner: BotTelemetryClient) -> None:
        self.inner = inner

    def track_event(
        self, name: str, properties: dict | None = None, measurements: dict | None = None
    ) -> None:
        self.inner.track_event(name, redact_properties(properties), measurements)

    def track_pageview(
        self,
        name: str,
        url: str,
        duration: int = 0,
        properties: dict | None = None,
        measurements: dict | None = None,
    ) -> None:
        self.inner.track_pageview(
            name, redact(url or ""), duration, redact_properties(properties), measurements
        )

    def track_exception(
        self,
        exception_type: type | None = None,
        value: BaseException | None = None,
        trace: Any = None,
        properties: dict | None = None,
        measurements: dict | None = None,
    ) -> None:
        self.inner.track_exception(exception_type, value, trace, redact_properties(properties), measurements)

    def track_metric(self, name: str, value: float, *args: Any, properties: dict | None = None) -> None:
        self.inner.track_metric(name, value, *args, properties=redact_properties(properties))

    def track_trace(
        self, name: str, properties: dict | None = None, severity: Severity | None = None
    ) -> None:
        self.inner.track_trace(redact(name), redact_properties(properties), severity)

    def track_request(
        self,
        name: str,
        url: str,
        success: bool,
        start_time: str | None = None,
        duration: int | None = None,
        response_code: str | None = None,
        http_method: str | None = None,
        properties: dict | None = None,
        measurements: dict | None = None,
        request_id: str | None = None,
    ) -> None:
        self.inner.track_request(
            name, redact(url or ""), success, start_time, duration, response_code, http_method,
            redact_properties(properties), measurements, request_id,
        )  # fmt: skip

    def track_dependency(
        self,
        name: str,
        data: str,
        type_name: str | None = None,
        target: str | None = None,
        duration: int | None = None,
        success: bool | None = None,
        result_code: str | None = None,
        properties: dict | None = None,
        measurements: dict | None = None,
        dependency_id: str | None = None,
    ) -> None:
        self.inner.track_dependency(
            name, redact(data or ""), type_name, target, duration, success, result_code,
            redact_properties(properties), measurements, dependency_id,
        )  # fmt: skip

    def flush(self) -> None:
        flush = getattr(self.inner, "flush", None)
        if callable(flush):
            flush()


def configure_telemetry(
    settings: Any, metrics: VoicebotMetrics | None = None, credential: Any | None = None
) -> OpenTelemetryBotClient:
    """Export to Azure Monitor when `telemetry.applicationinsights_connection_string` is set; otherwise
    keep a local SDK tracer (ids for correlation, nothing exported) and the in-memory metrics.

    Application Insights deployed by deploymentTemplates accepts Entra ID only: pass `credential`
    (e.g. DefaultAzureCredential) or set `telemetry.entra_auth`. Returns the bot telemetry client to
    hand to TelemetryLoggerMiddleware and dialogs."""
    connection = settings.telemetry.applicationinsights_connection_string.get_secret_value()
    if connection:
        from azure.monitor.opentelemetry import configure_azure_monitor

        kwargs: dict[str, Any] = {"connection_string": connection, "logger_name": ""}
        if credential is None and getattr(settings.telemetry, "entra_auth", False):
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
        if credential is not None:
            kwargs["credential"] = credential
        configure_azure_monitor(**kwargs)
        log.info("telemetry exported to Azure Monitor")
    else:
        from opentelemetry.sdk.trace import TracerProvider

        if not isinstance(trace.get_tracer_provider(), TracerProvider):
            trace.set_tracer_provider(TracerProvider())
        log.info("telemetry kept local (no Application Insights connection string)")
    install_redaction_filter()  # also covers the handler configure_azure_monitor added to the root logger
    return OpenTelemetryBotClient(metrics)
