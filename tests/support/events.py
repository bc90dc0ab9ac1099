"""A telemetry sink that keeps every event, for asserting what operations would see."""

from __future__ import annotations

from typing import Any


class RecordedEvents:
    """``track_event`` like BotTelemetryClient; ``named(name)`` lists the properties of each such event."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def track_event(
        self, name: str, properties: dict | None = None, measurements: dict | None = None
    ) -> None:
        self.events.append((name, dict(properties or {})))

    def named(self, name: str) -> list[dict[str, Any]]:
        return [props for event, props in self.events if event == name]
