"""Structured JSON-lines logging with a per-call correlation id and PII redaction at the root logger."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO, Any

from opentelemetry import trace

from core.privacy.redaction import STANDARD_RECORD_ATTRS, RedactionFilter, install_redaction_filter

_call_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("call_id", default=None)


def bind_call_id(call_id: str | None) -> contextvars.Token[str | None]:
    """Set the call id for the current task (and tasks it creates); returns a token for `reset_call_id`."""
    return _call_id.set(call_id)


def reset_call_id(token: contextvars.Token[str | None]) -> None:
    """Undo a `bind_call_id`."""
    _call_id.reset(token)


def current_call_id() -> str | None:
    """The call id bound in this context, if any."""
    return _call_id.get()


@contextmanager
def call_scope(call_id: str) -> Iterator[None]:
    """`with call_scope(id):` binds the call id for the block."""
    token = bind_call_id(call_id)
    try:
        yield
    finally:
        reset_call_id(token)


class CallIdFilter(logging.Filter):
    """Stamps each record with the bound call id (unless the caller passed one in `extra`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "call_id", None) is None:
            record.call_id = _call_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, call_id, then any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "call_id": getattr(record, "call_id", None),
        }
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:  # joins a log line to its OpenTelemetry trace
            payload["trace_id"] = format(span_context.trace_id, "032x")
            payload["span_id"] = format(span_context.span_id, "016x")
        for key, value in record.__dict__.items():
            if key not in STANDARD_RECORD_ATTRS and not key.startswith("_") and key not in payload:
                payload[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            payload["exc"] = record.exc_text
        return json.dumps(payload, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Human-readable lines for a terminal, still carrying the call id."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(call_id)s] %(message)s")


def configure_logging(
    level: str | int = "INFO", json_lines: bool = True, stream: IO[str] | None = None
) -> logging.Handler:
    """Replace the root logger's handlers with one stream handler (JSON or text), call-id and
    redaction filters attached. Returns the handler. Safe to call more than once."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_voicebot", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._voicebot = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    handler.addFilter(CallIdFilter())
    root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else level.upper())
    install_redaction_filter(root)
    return handler


def setup_logging(settings: Any, stream: IO[str] | None = None) -> logging.Handler:
    """`configure_logging` from `settings.telemetry` (log_level, log_json)."""
    telemetry = settings.telemetry
    return configure_logging(telemetry.log_level, telemetry.log_json, stream)


__all__ = [
    "CallIdFilter",
    "JsonFormatter",
    "RedactionFilter",
    "bind_call_id",
    "call_scope",
    "configure_logging",
    "current_call_id",
    "reset_call_id",
    "setup_logging",
]
