"""HTTP hardening of every route: slow clients cut off, HSTS over https, no version in ``Server``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from config import SecuritySettings
from core.security.client_address import TrustedProxies

SERVER_NAME = "contoso-voicebot"
"""The ``Server`` header: aiohttp's default names the Python and aiohttp versions."""
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""Content-Security-Policy of the bot's own pages (console, dashboard, softphone): no inline script."""
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def server_options(security: SecuritySettings) -> dict[str, Any]:
    """``web.AppRunner`` options: aiohttp's keep-alive timer also runs while a connection has not sent a
    complete request head, so it is the header read timeout (and the idle keep-alive limit)."""
    return {"keepalive_timeout": security.header_timeout_seconds}


def harden(app: web.Application, security: SecuritySettings, proxies: TrustedProxies) -> None:
    """Add the body read timeout, the ``Server`` header and HSTS to every response of ``app``."""

    @web.middleware
    async def read_body_in_time(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method in BODY_METHODS and request.can_read_body:
            try:
                async with asyncio.timeout(security.body_timeout_seconds):
                    await request.read()  # kept by aiohttp: the handler's read()/json()/post() reuse it
            except TimeoutError:
                raise web.HTTPRequestTimeout(text="request body not received in time") from None
        return await handler(request)

    async def add_headers(request: web.BaseRequest, response: web.StreamResponse) -> None:
        response.headers["Server"] = SERVER_NAME
        if security.hsts_seconds > 0 and proxies.is_https(request):
            response.headers.setdefault(
                "Strict-Transport-Security", f"max-age={security.hsts_seconds}; includeSubDomains"
            )

    app.middlewares.append(read_body_in_time)
    app.on_response_prepare.append(add_headers)
