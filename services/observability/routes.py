"""aiohttp routes for the local metrics endpoint (`GET /metrics`, JSON) and the dashboard page."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from services.observability.metrics import MetricsRegistry

DASHBOARD_PAGE = Path(__file__).resolve().parents[2] / "web" / "dashboard" / "index.html"
METRICS_KEY: web.AppKey[MetricsRegistry] = web.AppKey("voicebot_metrics", MetricsRegistry)


async def _metrics(request: web.Request) -> web.Response:
    snapshot = request.app[METRICS_KEY].snapshot()
    return web.json_response(snapshot, headers={"Cache-Control": "no-store"})


async def _dashboard(request: web.Request) -> web.FileResponse:
    return web.FileResponse(DASHBOARD_PAGE, headers={"Cache-Control": "no-cache"})


def add_routes(app: web.Application, metrics: MetricsRegistry) -> None:
    """Register GET /metrics and GET /dashboard on `app` (aggregates only: no personal data)."""
    app[METRICS_KEY] = metrics
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/dashboard", _dashboard)
