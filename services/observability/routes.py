"""aiohttp routes: `GET /metrics` (JSON), `GET /dashboard` (page polling it) and `GET /healthz` (liveness)."""

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


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"}, headers={"Cache-Control": "no-store"})


def add_routes(app: web.Application, metrics: MetricsRegistry) -> None:
    """Register GET /metrics, /dashboard and /healthz on `app` (aggregates only: no personal data).
    App Service's health check calls /healthz (deploymentTemplates/modules/appservice.bicep)."""
    app[METRICS_KEY] = metrics
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/dashboard", _dashboard)
    app.router.add_get("/healthz", _healthz)
