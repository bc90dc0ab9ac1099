"""HTTP routes of the agent console: sign-in, the live queue (server-sent events), records and pick-up."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from services.handoff.base import HandoffNotFound
from services.handoff.console_auth import COOKIE_NAME, AgentSession, ConsoleAuth
from services.handoff.embedded_handoff import EmbeddedHandoffService

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parents[2] / "web" / "agent"
HANDOFF_KEY = web.AppKey("agent_console_handoff", EmbeddedHandoffService)
AUTH_KEY = web.AppKey("agent_console_auth", ConsoleAuth)
CSRF_HEADER = "X-Agent-Console"
SYNC_SECONDS = 10.0
"""Keep-alive and re-read of the shared store for records written by other instances."""
QUEUE_LIMIT = 50

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def add_agent_routes(
    app: web.Application,
    handoff: EmbeddedHandoffService,
    auth: ConsoleAuth,
    web_dir: Path = WEB_DIR,
) -> None:
    """Register ``/agent`` (page, sign-in, events, records, pick-up) on the bot's aiohttp app."""
    app[HANDOFF_KEY] = handoff
    app[AUTH_KEY] = auth
    pages = _Pages(web_dir)
    app.router.add_get("/agent", pages.console)
    app.router.add_get("/agent/login", pages.login)
    app.router.add_post("/agent/login", login)
    app.router.add_post("/agent/logout", logout)
    app.router.add_get("/agent/session", session_info)
    app.router.add_get("/agent/events", events)
    app.router.add_get("/agent/handoffs", list_handoffs)
    app.router.add_get("/agent/handoffs/{handoff_id}", get_handoff)
    app.router.add_post("/agent/handoffs/{handoff_id}/pickup", pick_up)
    app.router.add_static("/agent/assets", web_dir / "assets", show_index=False)
    app.on_shutdown.append(_close_streams)


async def _close_streams(app: web.Application) -> None:
    """Open event streams would otherwise hold the graceful shutdown for its whole timeout."""
    app[HANDOFF_KEY].events.close()


def _session(request: web.Request) -> AgentSession | None:
    return request.app[AUTH_KEY].verify(request.cookies.get(COOKIE_NAME))


def _require_session(request: web.Request) -> AgentSession:
    session = _session(request)
    if session is None:
        raise web.HTTPUnauthorized(
            text=json.dumps({"error": "sign in at /agent/login"}),
            content_type="application/json",
            headers={"Cache-Control": "no-store"},
        )
    return session


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, headers={"Cache-Control": "no-store"})


class _Pages:
    """The two HTML pages; read once, served with a strict Content-Security-Policy."""

    def __init__(self, web_dir: Path) -> None:
        self._console = (web_dir / "index.html").read_text(encoding="utf-8")
        self._login = (web_dir / "login.html").read_text(encoding="utf-8")

    async def console(self, request: web.Request) -> web.StreamResponse:
        if _session(request) is None:
            raise web.HTTPFound("/agent/login")
        return web.Response(text=self._console, content_type="text/html", headers=SECURITY_HEADERS)

    async def login(self, request: web.Request) -> web.Response:
        return web.Response(text=self._login, content_type="text/html", headers=SECURITY_HEADERS)


async def login(request: web.Request) -> web.StreamResponse:
    auth = request.app[AUTH_KEY]
    client = request.remote or "unknown"
    if auth.throttled(client):
        return web.Response(
            status=429, text="Too many attempts; wait a few minutes.", headers=SECURITY_HEADERS
        )
    try:
        form = await request.post()
    except ValueError as exc:  # undecodable bytes, a broken multipart body
        raise web.HTTPBadRequest(text="unreadable sign-in form", headers=SECURITY_HEADERS) from exc
    user, password = str(form.get("username", "")), str(form.get("password", ""))
    if not auth.check_password(user, password):
        auth.record_failure(client)
        logger.warning("agent console sign-in failed")
        raise web.HTTPFound("/agent/login?failed=1")
    response = web.HTTPSeeOther("/agent")
    response.set_cookie(
        COOKIE_NAME,
        auth.issue(user),
        max_age=auth.session_seconds,
        path="/agent",
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )
    logger.info("agent signed in to the console")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    response = web.HTTPSeeOther("/agent/login")
    response.del_cookie(COOKIE_NAME, path="/agent")
    raise response


async def session_info(request: web.Request) -> web.Response:
    return _json({"user": _require_session(request).user})


async def list_handoffs(request: web.Request) -> web.Response:
    _require_session(request)
    records = await request.app[HANDOFF_KEY].queue(QUEUE_LIMIT)
    return _json([r.model_dump(mode="json") for r in records])


async def get_handoff(request: web.Request) -> web.Response:
    _require_session(request)
    try:
        record = await request.app[HANDOFF_KEY].get(request.match_info["handoff_id"])
    except HandoffNotFound:
        return _json({"error": "no such handoff"}, status=404)
    return _json(record.model_dump(mode="json"))


async def pick_up(request: web.Request) -> web.Response:
    session = _require_session(request)
    # A custom header cannot be sent cross-site without CORS; SameSite=Strict is the other half.
    if request.headers.get(CSRF_HEADER) != "1":
        return _json({"error": f"missing {CSRF_HEADER} header"}, status=403)
    try:
        record = await request.app[HANDOFF_KEY].pick_up(request.match_info["handoff_id"], session.user)
    except HandoffNotFound:
        return _json({"error": "no such handoff"}, status=404)
    return _json(record.model_dump(mode="json"))


async def _changes(handoff: EmbeddedHandoffService, sent: dict[str, str]) -> list[dict[str, Any]]:
    """Recent records this page has not seen in their current version (and remember them)."""
    changed = []
    for record in await handoff.queue(QUEUE_LIMIT):
        data = record.model_dump(mode="json")
        if sent.get(record.handoff_id) != data["updated_at"]:
            sent[record.handoff_id] = data["updated_at"]
            changed.append(data)
    return changed


def _sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: a ``snapshot`` of the queue, then ``handoff``/``update``/``call_ended``."""
    session = _require_session(request)
    handoff = request.app[HANDOFF_KEY]
    auth = request.app[AUTH_KEY]
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    sent: dict[str, str] = {}  # handoff id -> updated_at last sent to this page
    async with handoff.events.subscribe() as queue:
        try:
            await response.write(b"retry: 2000\n\n" + _sse("snapshot", await _changes(handoff, sent)))
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), SYNC_SECONDS)
                except TimeoutError:
                    if auth.verify(request.cookies.get(COOKIE_NAME)) is None:
                        break  # the session expired while the page stayed open
                    # Records written by other bot instances reach this page through the shared store.
                    for record in await _changes(handoff, sent):
                        await response.write(_sse("update", record))
                    await response.write(b": keep-alive\n\n")
                    continue
                if event["type"] == "closed":
                    break
                sent[event["record"]["handoff_id"]] = event["record"]["updated_at"]
                await response.write(_sse(event["type"], event["record"]))
        except ConnectionResetError:
            logger.debug("agent console closed the page", extra={"agent": session.user})
    return response
