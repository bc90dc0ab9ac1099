"""One span per pipeline stage (turn, recognizer, CRM, retrieval, LLM, STT, TTS), with its latency metric.

Spans carry the call id, so Application Insights' transaction view and the JSON logs join on it; the
same block's wall time feeds the local /metrics and dashboard percentiles."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from core.observability.logging_setup import current_call_id
from core.observability.metrics import VoicebotMetrics

TRACER = trace.get_tracer("contoso.voicebot")

UsageSink = Callable[[str, int, int], None]
"""Receives (purpose, prompt tokens, completion tokens) after each language-model call."""


def _attributes(name: str, extra: dict[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {"voicebot.stage": name}
    call_id = current_call_id()
    if call_id:
        attrs["call_id"] = call_id
    attrs.update(extra)
    return attrs


@contextmanager
def stage(
    metrics: VoicebotMetrics | None,
    name: str,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: dict[str, Any] | None = None,
) -> Iterator[Span]:
    """``with stage(metrics, "crm", SpanKind.CLIENT):`` a span named ``name`` (an exception marks it
    failed) and the block's wall time as that stage's latency."""
    timer = metrics.timer(name) if metrics is not None else nullcontext()
    attrs = _attributes(name, attributes or {})
    with TRACER.start_as_current_span(name, kind=kind, attributes=attrs) as span:
        with timer:
            yield span


def end_span_after(
    tracer: trace.Tracer,
    name: str,
    milliseconds: float,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: dict[str, Any] | None = None,
    failed: bool = False,
) -> None:
    """A span ending now that lasted ``milliseconds``: for work someone else timed."""
    end_ns = time.time_ns()
    start_ns = end_ns - int(milliseconds * 1_000_000)
    span = tracer.start_span(name, kind=kind, attributes=attributes, start_time=start_ns)
    if failed:
        span.set_status(Status(StatusCode.ERROR))
    span.end(end_time=end_ns)


def record_finished_stage(
    metrics: VoicebotMetrics | None, name: str, milliseconds: float, **attributes: Any
) -> None:
    """`stage` for a stage timed elsewhere (the voice pipeline measures STT and TTS itself)."""
    end_span_after(TRACER, name, milliseconds, attributes=_attributes(name, attributes))
    if metrics is not None:
        metrics.observe_latency(name, milliseconds)


@contextmanager
def language_model_call(deployment: str, purpose: str) -> Iterator[Span]:
    """A client span for one chat completion, named and tagged per OpenTelemetry's GenAI conventions."""
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": "az.ai.openai",
        "gen_ai.request.model": deployment,
        "voicebot.llm.purpose": purpose,
    }
    with TRACER.start_as_current_span(
        f"chat {deployment}", kind=SpanKind.CLIENT, attributes=_attributes("llm_call", attrs)
    ) as span:
        yield span


def record_token_usage(span: Span, completion: Any, purpose: str, sink: UsageSink | None) -> None:
    """Token counts from an OpenAI completion onto its span and into the metrics."""
    usage = getattr(completion, "usage", None)
    if usage is None:
        return
    prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
    answer = int(getattr(usage, "completion_tokens", 0) or 0)
    span.set_attributes({"gen_ai.usage.input_tokens": prompt, "gen_ai.usage.output_tokens": answer})
    if sink is not None:
        sink(purpose, prompt, answer)


def mark(event: str, **attributes: Any) -> None:
    """A named moment (an escalation, the call's outcome) on the current stage's span."""
    trace.get_current_span().add_event(event, attributes)
