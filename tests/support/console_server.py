"""The agent console routes as app.py wires them (hardening, trusted proxies), on a loopback port, plus a
raw HTTP client that can hold a request body back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlencode, urlsplit

from aiohttp import web
from botbuilder.core import MemoryStorage

from config import SecuritySettings
from core.security.client_address import TrustedProxies
from core.security.http_hardening import harden, server_options
from services.handoff.embedded_handoff import EmbeddedHandoffService
from services.handoff.kpi import EscalationMonitor
from services.handoff.store import HandoffStore
from web.console_auth import ConsoleAuth
from web.console_routes import add_agent_routes

CONSOLE_USER = "agent"
CONSOLE_PASSWORD = "right-console-password"


@asynccontextmanager
async def console_server(security: SecuritySettings | None = None) -> AsyncIterator[str]:
    """The console on 127.0.0.1 (base URL yielded), wired like ``app.create_app``."""
    security = security or SecuritySettings()
    proxies = TrustedProxies.from_settings(security)
    service = EmbeddedHandoffService(
        HandoffStore(MemoryStorage()),
        target="+14255550199",
        agent_language="en-US",
        monitor=EscalationMonitor(),
    )
    app = web.Application()
    harden(app, security, proxies)
    add_agent_routes(app, service, ConsoleAuth(CONSOLE_USER, CONSOLE_PASSWORD), proxies=proxies)
    runner = web.AppRunner(app, handle_signals=False, **server_options(security))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def sign_in_slowly(
    base_url: str,
    password: str,
    release: asyncio.Event,
    headers: dict[str, str] | None = None,
    user: str = CONSOLE_USER,
) -> tuple[int, str]:
    """POST /agent/login over a raw socket: the head at once, the form only when ``release`` is set.
    Returns (status, raw response head)."""
    address = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    body = urlencode({"username": user, "password": password}).encode()
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    writer.write(
        (
            "POST /agent/login HTTP/1.1\r\nHost: console\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n{extra}\r\n"
        ).encode()
    )
    await writer.drain()
    try:
        await release.wait()
        writer.write(body)
        await writer.drain()
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    except (ConnectionError, asyncio.IncompleteReadError):
        return 0, ""
    finally:
        writer.close()
    return int(head.split()[1]), head
