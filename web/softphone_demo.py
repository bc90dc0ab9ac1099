"""``GET /softphone/demo-callers``: the embedded CRM's demo customers with their PINs, for the softphone.

The PINs come from the embedded CRM's seed (``services/crm/seed.py``), the only place they exist. They are
served only when that CRM is the one in use and the app is not in production mode; otherwise the route
answers 404, so a softphone enabled next to a real CRM never shows a number or PIN."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from config import CrmBackend
from services.crm.seed import DEMO_CUSTOMERS


def demo_callers_shown(settings: Any) -> bool:
    """The embedded (demo) CRM answers the calls and this is not a production deployment."""
    return getattr(settings, "crm", None) is CrmBackend.EMBEDDED and not getattr(
        settings, "is_production", True
    )


def demo_callers() -> list[dict[str, str]]:
    return [
        {
            "name": f"{customer.first_name} {customer.last_name}",
            "number": customer.phone,
            "pin": customer.pin,
            "language": customer.language,
        }
        for customer in DEMO_CUSTOMERS
    ]


def demo_callers_handler(settings_of: Any) -> Any:
    """The route handler; ``settings_of(app)`` gives the app's settings."""

    async def handler(request: web.Request) -> web.Response:
        if not demo_callers_shown(settings_of(request.app)):
            raise web.HTTPNotFound()
        return web.json_response(demo_callers(), headers={"Cache-Control": "no-store"})

    return handler
