"""Structured logs with a call id, OpenTelemetry telemetry, in-process metrics and the dashboard."""
