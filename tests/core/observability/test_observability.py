"""JSON logs carry the call id and no personal data; telemetry is redacted; /metrics and /dashboard serve."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from botbuilder.core import TelemetryLoggerMiddleware, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from core.observability.logging_setup import bind_call_id, call_scope, configure_logging, reset_call_id
from core.observability.metrics import VoicebotMetrics, percentile
from core.observability.telemetry import OpenTelemetryBotClient, RedactingTelemetryClient
from tests.support.leaks import reveals
from web.metrics_routes import add_routes

CARD = "4532 0151 1283 0366"
PHONE = "+14255550100"


@pytest.fixture()
def log_stream():
    stream = io.StringIO()
    handler = configure_logging("DEBUG", json_lines=True, stream=stream)
    yield stream
    logging.getLogger().removeHandler(handler)


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_log_lines_are_json_with_the_bound_call_id(log_stream: io.StringIO) -> None:
    token = bind_call_id("call-123")
    try:
        logging.getLogger("voicebot.test").info(
            "turn done", extra={"intent": "CheckBalance", "latency_ms": 12.5}
        )
    finally:
        reset_call_id(token)
    logging.getLogger("voicebot.test").info("outside a call")
    first, second = _lines(log_stream)[-2:]
    assert (
        first["call_id"] == "call-123" and first["intent"] == "CheckBalance" and first["latency_ms"] == 12.5
    )
    assert first["level"] == "INFO" and first["logger"] == "voicebot.test" and first["msg"] == "turn done"
    assert second["call_id"] is None


async def test_call_id_follows_tasks_started_inside_a_call(log_stream: io.StringIO) -> None:
    async def worker() -> None:
        logging.getLogger("voicebot.test").info("in a task")

    with call_scope("call-async"):
        await asyncio.create_task(worker())
    assert _lines(log_stream)[-1]["call_id"] == "call-async"


def test_log_lines_inside_a_span_carry_its_trace_id(
    log_stream: io.StringIO, spans: InMemorySpanExporter
) -> None:
    with spans.tracer.start_as_current_span("turn") as span:  # type: ignore[attr-defined]
        logging.getLogger("voicebot.test").info("inside")
    line = _lines(log_stream)[-1]
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")


def test_escalation_rate_can_come_from_the_handoff_monitor() -> None:
    metrics = VoicebotMetrics()
    metrics.use_escalation_source(lambda: 0.5)
    assert metrics.snapshot()["summary"]["escalation_rate"] == 0.5
    assert metrics.gauges["escalation_rate"].value == 0.5


def test_timer_records_a_stage_latency() -> None:
    metrics = VoicebotMetrics()
    with metrics.timer("crm"):
        pass
    assert metrics.latency.summary(stage="crm")["count"] == 1


def test_card_pin_and_phone_never_reach_a_log_line(log_stream: io.StringIO) -> None:
    log = logging.getLogger("voicebot.dialogs")
    log.info("caller said %s", f"my card is {CARD}")
    log.warning("pin step", extra={"utterance": "mi nip es 4821", "caller": {"phone": PHONE}})
    try:
        raise ValueError(f"lookup failed for {PHONE}")
    except ValueError:
        log.exception("crm error")
    text = log_stream.getvalue()
    for secret in (CARD, "4532015112830366", "4821", PHONE, "4255550100"):
        assert not reveals(text, secret), secret  # not inside a log line's own timestamp
    lines = _lines(log_stream)
    assert lines[-3]["msg"] == "caller said my card is [CARD]"
    assert lines[-2]["utterance"] == "mi nip es [PIN]" and lines[-2]["caller"] == {"phone": "[PHONE]"}
    assert "[PHONE]" in lines[-1]["exc"]


@pytest.fixture()
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    exporter.tracer = provider.get_tracer("test")  # type: ignore[attr-defined]
    return exporter


def test_telemetry_events_and_dependencies_become_redacted_spans(
    spans: InMemorySpanExporter, log_stream: io.StringIO
) -> None:
    metrics = VoicebotMetrics()
    client = OpenTelemetryBotClient(metrics, tracer=spans.tracer)  # type: ignore[attr-defined]
    client.track_event("BotMessageReceived", {"text": f"card {CARD}", "fromId": PHONE, "locale": "en-US"})
    client.track_dependency("CRM GetAccounts", f"GET /customers/{PHONE}", "crm", "crm.local", 42, True, "200")
    event_span, dep_span = spans.get_finished_spans()
    attrs = dict(event_span.events[0].attributes)
    assert attrs["text"] == "card [CARD]" and attrs["fromId"] == "[PHONE]" and attrs["locale"] == "en-US"
    assert (
        dep_span.name == "CRM GetAccounts"
        and dep_span.attributes["dependency.data"] == "GET /customers/[PHONE]"
    )
    assert (dep_span.end_time - dep_span.start_time) == 42_000_000
    assert metrics.latency.summary(stage="crm")["p50"] == 42
    custom_event = _lines(log_stream)[-1]
    assert custom_event["microsoft.custom_event.name"] == "BotMessageReceived"
    assert PHONE not in log_stream.getvalue()


def test_tracked_exception_becomes_a_redacted_error_span_with_its_stack(
    spans: InMemorySpanExporter, log_stream: io.StringIO
) -> None:
    client = OpenTelemetryBotClient(VoicebotMetrics(), tracer=spans.tracer)  # type: ignore[attr-defined]
    try:
        raise ValueError(f"CRM refused caller {PHONE}")
    except ValueError as exc:
        client.track_exception(type(exc), exc, exc.__traceback__, {"fromId": PHONE})
    (span,) = spans.get_finished_spans()
    attrs = dict(span.events[0].attributes)
    assert span.status.status_code.name == "ERROR"
    assert attrs["exception.type"] == "ValueError"
    assert attrs["exception.message"] == "CRM refused caller [PHONE]" and attrs["fromId"] == "[PHONE]"
    assert "test_tracked_exception_becomes" in attrs["exception.stacktrace"]
    assert PHONE not in log_stream.getvalue()


async def test_telemetry_logger_middleware_sends_no_phone_numbers(spans: InMemorySpanExporter) -> None:
    received: list[tuple[str, dict]] = []

    class Recorder(OpenTelemetryBotClient):
        def track_event(
            self, name: str, properties: dict | None = None, measurements: dict | None = None
        ) -> None:
            received.append((name, dict(properties or {})))

    adapter = TestAdapter(
        template_or_conversation=Activity(
            channel_id="telephony",
            conversation=ConversationAccount(id="conv-1"),
            from_property=ChannelAccount(id=PHONE, name=PHONE),
            recipient=ChannelAccount(id="+18005550123", name="+18005550123"),
        )
    )
    adapter.use(
        TelemetryLoggerMiddleware(RedactingTelemetryClient(Recorder()), log_personal_information=True)
    )

    async def logic(context: TurnContext) -> None:
        await context.send_activity(f"You said {context.activity.text}")

    adapter.logic = logic
    await adapter.receive_activity(Activity(type=ActivityTypes.message, text=f"my card is {CARD}"))
    assert received, "the middleware sent nothing"
    dumped = json.dumps(received)
    for secret in (PHONE, "4255550100", "+18005550123", CARD):
        assert secret not in dumped


def test_percentiles_and_escalation_rate_over_a_sliding_window() -> None:
    now = [1000.0]
    metrics = VoicebotMetrics(clock=lambda: now[0], escalation_window_seconds=3600)
    for ms in range(1, 101):
        metrics.observe_latency("stt", ms)
    summary = metrics.latency.summary(stage="stt")
    assert (summary["p50"], summary["p95"], summary["p99"], summary["count"]) == (50, 95, 99, 100)
    assert percentile([], 50) != percentile([], 50)  # NaN when empty
    for _ in range(5):
        metrics.call_started()
    assert metrics.calls_in_progress.value == 5
    for outcome in ("contained", "contained", "transferred", "transferred", "transferred"):
        metrics.call_ended(outcome)
    for reason in ("caller_request", "no_match", "fraud"):
        metrics.record_escalation(reason)
    assert metrics.escalation_rate() == pytest.approx(0.6)
    assert metrics.calls_in_progress.value == 0
    now[0] += 3601
    assert metrics.escalation_rate() == 0.0
    assert metrics.latency.summary(stage="stt")["count"] == 0  # latency window is 5 minutes


async def test_metrics_endpoint_and_dashboard_page_are_served() -> None:
    metrics = VoicebotMetrics()
    metrics.call_started()
    metrics.record_intent("CheckBalance", 0.91)
    metrics.record_intent("CheckBalance", 0.88)
    metrics.record_intent("BlockCard", 0.75)
    metrics.observe_latency("turn", 120)
    app = web.Application()
    add_routes(app, metrics)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/metrics")
        assert response.status == 200
        body = await response.json()
        assert body["summary"]["calls_in_progress"] == 1
        assert body["summary"]["intents"] == {"CheckBalance": 2, "BlockCard": 1}
        assert body["summary"]["latency_ms"]["turn"]["p50"] == 120
        page = await client.get("/dashboard")
        assert page.status == 200 and "text/html" in page.headers["Content-Type"]
        assert "/dashboard/assets/dashboard.js" in await page.text()
        script = await client.get("/dashboard/assets/dashboard.js")
        assert script.status == 200 and "/metrics" in await script.text()
        health = await client.get("/healthz")
        assert health.status == 200 and (await health.json()) == {"status": "ok"}


def test_azure_monitor_is_configured_only_when_a_connection_string_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import azure.monitor.opentelemetry as azmon
    from pydantic import SecretStr

    from config import Settings
    from core.observability.telemetry import configure_telemetry

    calls: list[dict] = []
    monkeypatch.setattr(azmon, "configure_azure_monitor", lambda **kw: calls.append(kw))
    settings = Settings(_env_file=None)
    assert isinstance(configure_telemetry(settings), OpenTelemetryBotClient)
    assert calls == []
    settings.telemetry.applicationinsights_connection_string = SecretStr(
        "InstrumentationKey=x;IngestionEndpoint=y"
    )
    marker = object()
    configure_telemetry(settings, credential=marker)
    assert calls == [
        {
            "connection_string": "InstrumentationKey=x;IngestionEndpoint=y",
            "logger_name": "",
            "credential": marker,
        }
    ]
