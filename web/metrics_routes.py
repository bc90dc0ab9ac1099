"""Routes: `GET /metrics` (JSON), `/metrics/history` (charts), `/dashboard` (the page), `/healthz`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from core.observability.history import RANGES
from core.observability.metrics import MetricsRegistry
from core.security.http_hardening import PAGE_HEADERS
from locales.languages import default_locale
from web.agent_words import language_words, reason_words

DASHBOARD_DIR = Path(__file__).resolve().parent / "dashboard"
DASHBOARD_PAGE = DASHBOARD_DIR / "index.html"
METRICS_KEY: web.AppKey[MetricsRegistry] = web.AppKey("voicebot_metrics", MetricsRegistry)
SignedIn = Callable[[web.Request], bool]
GUARD_KEY: web.AppKey[SignedIn] = web.AppKey("voicebot_metrics_guard", Callable)  # type: ignore[arg-type]
SIGN_IN_PAGE = "/agent/login"
AGENT_LANGUAGE = default_locale()
"""The dashboard's fixed labels are English (agent-facing, the table's first language), like the console's."""


def _open(request: web.Request) -> bool:
    guard = request.app.get(GUARD_KEY)
    return guard is None or guard(request)


async def _metrics(request: web.Request) -> web.Response:
    if not _open(request):
        return web.json_response(
            {"error": f"sign in at {SIGN_IN_PAGE}"}, status=401, headers={"Cache-Control": "no-store"}
        )
    snapshot = request.app[METRICS_KEY].snapshot()
    return web.json_response(snapshot, headers={"Cache-Control": "no-store"})


def _labelled(counts: dict[str, int], words: Callable[[str, str], str]) -> list[dict[str, Any]]:
    rows: dict[str, int] = {}
    for code, count in counts.items():
        label = words(code, AGENT_LANGUAGE)
        rows[label] = rows.get(label, 0) + count
    return [{"label": label, "calls": n} for label, n in sorted(rows.items(), key=lambda row: -row[1])]


async def _history(request: web.Request) -> web.Response:
    """``GET /metrics/history?range=hour|day``: the dashboard's charts and the counts behind its rates."""
    if not _open(request):
        return web.json_response(
            {"error": f"sign in at {SIGN_IN_PAGE}"}, status=401, headers={"Cache-Control": "no-store"}
        )
    range_name = request.query.get("range", "hour")
    if range_name not in RANGES:
        return web.json_response({"error": "range must be hour or day"}, status=400)
    history = getattr(request.app[METRICS_KEY], "history", None)
    if history is None:
        return web.json_response({"error": "no history on this instance"}, status=404)
    chart = await history.chart(range_name)
    totals = chart["totals"]
    # Handoffs in the console's words ("Fraud report", "Spanish"), most frequent first.
    totals["handoffs_by_reason"] = _labelled(totals["handoffs_by_reason"], reason_words)
    totals["handoffs_by_language"] = _labelled(totals["handoffs_by_language"], language_words)
    return web.json_response(chart, headers={"Cache-Control": "no-store"})


async def _dashboard(request: web.Request) -> web.FileResponse:
    if not _open(request):
        raise web.HTTPFound(SIGN_IN_PAGE)
    return web.FileResponse(DASHBOARD_PAGE, headers={**PAGE_HEADERS, "Cache-Control": "no-cache"})


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"}, headers={"Cache-Control": "no-store"})


def add_routes(app: web.Application, metrics: MetricsRegistry, signed_in: SignedIn | None = None) -> None:
    """Register GET /metrics, /dashboard and /healthz on `app` (aggregates only: no personal data).
    With ``signed_in`` (the agent console's session check) /metrics and /dashboard need a session;
    App Service's health check calls /healthz, which stays open (modules/appservice.bicep)."""
    app[METRICS_KEY] = metrics
    if signed_in is not None:
        app[GUARD_KEY] = signed_in
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/metrics/history", _history)
    app.router.add_get("/dashboard", _dashboard)
    app.router.add_static("/dashboard/assets", DASHBOARD_DIR / "assets", show_index=False)
    app.router.add_get("/healthz", _healthz)
