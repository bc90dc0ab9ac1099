"""HTTP routes of the agent console: sign-in, the live queue (server-sent events), records and pick-up."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from core.security.client_address import TrustedProxies
from core.security.http_hardening import PAGE_HEADERS
from services.handoff.base import CallAlreadyEnded, Disposition, HandoffNotFound, WrapUpRefused
from services.handoff.embedded_handoff import WRAP_UP_NOTE_CHARS, EmbeddedHandoffService
from services.handoff.models import HandoffRecord
from web.agent_words import agent_view
from web.console_auth import COOKIE_NAME, FAILURE_WINDOW_SECONDS, AgentSession, ConsoleAuth
from web.easy_auth import EasyAuth

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent / "agent"
HANDOFF_KEY = web.AppKey("agent_console_handoff", EmbeddedHandoffService)
AUTH_KEY = web.AppKey("agent_console_auth", ConsoleAuth)
PROXIES_KEY = web.AppKey("agent_console_proxies", TrustedProxies)
EASY_AUTH_KEY = web.AppKey("agent_console_easy_auth", EasyAuth)
COOKIE_PATH = "/"
"""The session also opens /dashboard and /metrics, so the cookie is not limited to /agent."""
LOCKED_MESSAGE = "Too many sign-in attempts. Wait a few minutes, then try again."
CSRF_HEADER = "X-Agent-Console"
SYNC_SECONDS = 10.0
"""Keep-alive and re-read of the shared store for records written by other instances."""
QUEUE_LIMIT = 50

SECURITY_HEADERS = {**PAGE_HEADERS, "Cache-Control": "no-store"}


def add_agent_routes(
    app: web.Application,
    handoff: EmbeddedHandoffService,
    auth: ConsoleAuth,
    web_dir: Path = WEB_DIR,
    proxies: TrustedProxies | None = None,
    easy_auth: EasyAuth | None = None,
) -> None:
    """Register ``/agent`` (page, sign-in, events, records, pick-up) on the bot's aiohttp app."""
    app[HANDOFF_KEY] = handoff
    app[AUTH_KEY] = auth
    app[EASY_AUTH_KEY] = easy_auth or EasyAuth(enabled=False, role="")
    app[PROXIES_KEY] = proxies or TrustedProxies(())
    pages = _Pages(web_dir)
    app.router.add_get("/agent", pages.console)
    app.router.add_get("/agent/login", pages.login)
    app.router.add_post("/agent/login", pages.sign_in)
    app.router.add_post("/agent/logout", logout)
    app.router.add_get("/agent/session", session_info)
    app.router.add_get("/agent/events", events)
    app.router.add_get("/agent/handoffs", list_handoffs)
    app.router.add_get("/agent/handoffs/{handoff_id}", get_handoff)
    app.router.add_post("/agent/handoffs/{handoff_id}/pickup", pick_up)
    app.router.add_post("/agent/handoffs/{handoff_id}/wrapup", wrap_up)
    app.router.add_static("/agent/assets", web_dir / "assets", show_index=False)
    app.on_shutdown.append(_close_streams)


async def _close_streams(app: web.Application) -> None:
    """Open event streams would otherwise hold the graceful shutdown for its whole timeout."""
    app[HANDOFF_KEY].events.close()


def _session(request: web.Request) -> AgentSession | None:
    """The Easy Auth principal (only when configured), else the shared credential's session cookie."""
    easy = request.app[EASY_AUTH_KEY].session(request)
    return easy or request.app[AUTH_KEY].verify(request.cookies.get(COOKIE_NAME))


def signed_in(request: web.Request) -> bool:
    """Whether the request carries a live console session (the guard of /dashboard and /metrics)."""
    return AUTH_KEY in request.app and _session(request) is not None


def _require_session(request: web.Request) -> AgentSession:
    session = _session(request)
    if session is None:
        raise web.HTTPUnauthorized(
            text=json.dumps({"error": "sign in at /agent/login"}),
            content_type="application/json",
            headers={"Cache-Control": "no-store"},
        )
    return session


def _require_agent_action(request: web.Request) -> AgentSession:
    """A signed-in agent's state-changing request: the session plus the anti-CSRF header (a custom header
    cannot be sent cross-site without CORS; SameSite=Strict is the other half)."""
    session = _require_session(request)
    if request.headers.get(CSRF_HEADER) != "1":
        raise web.HTTPForbidden(
            text=json.dumps({"error": f"missing {CSRF_HEADER} header"}),
            content_type="application/json",
            headers={"Cache-Control": "no-store"},
        )
    return session


def _for_agent(record: HandoffRecord, handoff: EmbeddedHandoffService) -> dict[str, Any]:
    """The stored record plus ``view``: what its card says, in the agent's language."""
    return {**record.model_dump(mode="json"), "view": agent_view(record, handoff.agent_language)}


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, headers={"Cache-Control": "no-store"})


class _Pages:
    """The two HTML pages; read once, served with a strict Content-Security-Policy."""

    def __init__(self, web_dir: Path) -> None:
        self._console = (web_dir / "index.html").read_text(encoding="utf-8")
        self._login = (web_dir / "login.html").read_text(encoding="utf-8")
        # The sign-in page itself, saying the attempts are used up (no script needed to show it).
        self._locked = re.sub(
            r'<p id="login-error"([^>]*) hidden>[^<]*</p>',
            lambda match: f'<p id="login-error"{match.group(1)!s}>{LOCKED_MESSAGE}</p>',
            self._login,
        )

    async def console(self, request: web.Request) -> web.StreamResponse:
        if _session(request) is None:
            raise web.HTTPFound("/agent/login")
        return web.Response(text=self._console, content_type="text/html", headers=SECURITY_HEADERS)

    async def login(self, request: web.Request) -> web.Response:
        return web.Response(text=self._login, content_type="text/html", headers=SECURITY_HEADERS)

    def _locked_out(self) -> web.Response:
        return web.Response(
            status=429,
            text=self._locked,
            content_type="text/html",
            headers={**SECURITY_HEADERS, "Retry-After": str(int(FAILURE_WINDOW_SECONDS))},
        )

    async def sign_in(self, request: web.Request) -> web.StreamResponse:
        auth, proxies = request.app[AUTH_KEY], request.app[PROXIES_KEY]
        client = proxies.client(request)
        ticket = auth.begin_attempt(client)  # counted before the (possibly slow) form is read
        if ticket is None:
            return self._locked_out()
        try:
            form = await request.post()
        except ValueError as exc:  # undecodable bytes, a broken multipart body
            raise web.HTTPBadRequest(text="unreadable sign-in form", headers=SECURITY_HEADERS) from exc
        user, password = str(form.get("username", "")), str(form.get("password", ""))
        accepted = auth.check(client, ticket, user, password)
        if accepted is None:
            logger.warning("agent console account locked after repeated failures")
            return self._locked_out()
        if not accepted:
            logger.warning("agent console sign-in failed")
            raise web.HTTPFound("/agent/login?failed=1")
        response = web.HTTPSeeOther("/agent")
        response.set_cookie(
            COOKIE_NAME,
            auth.issue(user),
            max_age=auth.session_seconds,
            path=COOKIE_PATH,
            httponly=True,
            samesite="Strict",
            secure=proxies.is_https(request),
        )
        logger.info("agent signed in to the console")
        raise response


async def logout(request: web.Request) -> web.StreamResponse:
    # Revoked on the server too: a copy of the cookie kept elsewhere no longer opens anything.
    request.app[AUTH_KEY].revoke(request.cookies.get(COOKIE_NAME))
    # Behind Easy Auth the agent signs out of App Service Authentication's own session.
    easy = request.app[EASY_AUTH_KEY].session(request) is not None
    response = web.HTTPSeeOther("/.auth/logout" if easy else "/agent/login")
    response.del_cookie(COOKIE_NAME, path=COOKIE_PATH)
    raise response


async def session_info(request: web.Request) -> web.Response:
    """The agent's name, the service-level target and the server's clock (the page's timers use it)."""
    user = _require_session(request).user
    return _json(
        {
            "user": user,
            "service_level_seconds": request.app[HANDOFF_KEY].service_level_seconds,
            "now": datetime.now(UTC).isoformat(),
        }
    )


async def list_handoffs(request: web.Request) -> web.Response:
    _require_session(request)
    handoff = request.app[HANDOFF_KEY]
    return _json([_for_agent(r, handoff) for r in await handoff.queue(QUEUE_LIMIT)])


async def get_handoff(request: web.Request) -> web.Response:
    _require_session(request)
    try:
        record = await request.app[HANDOFF_KEY].get(request.match_info["handoff_id"])
    except HandoffNotFound:
        return _json({"error": "no such handoff"}, status=404)
    return _json(_for_agent(record, request.app[HANDOFF_KEY]))


async def pick_up(request: web.Request) -> web.Response:
    session = _require_agent_action(request)
    try:
        record = await request.app[HANDOFF_KEY].pick_up(request.match_info["handoff_id"], session.user)
    except HandoffNotFound:
        return _json({"error": "no such handoff"}, status=404)
    except CallAlreadyEnded:
        return _json({"error": "the call has ended"}, status=409)
    return _json(_for_agent(record, request.app[HANDOFF_KEY]))


async def wrap_up(request: web.Request) -> web.Response:
    """Body ``{"disposition": code, "note": text}``: the agent who took the call closes it."""
    session = _require_agent_action(request)
    try:
        body = await request.json()
        disposition = Disposition(body["disposition"])
        note = body.get("note", "")
        if not isinstance(note, str) or len(note) > WRAP_UP_NOTE_CHARS:
            raise ValueError("note")
    except (ValueError, KeyError, TypeError, AttributeError):  # not JSON, unknown code, bad note
        return _json({"error": "disposition must be one of the codes; note a text"}, status=400)
    try:
        record = await request.app[HANDOFF_KEY].wrap_up(
            request.match_info["handoff_id"], session.user, disposition, note
        )
    except HandoffNotFound:
        return _json({"error": "no such handoff"}, status=404)
    except WrapUpRefused:
        return _json({"error": "only the agent who took the call wraps it up, once it ended"}, status=409)
    return _json(_for_agent(record, request.app[HANDOFF_KEY]))


async def _changes(handoff: EmbeddedHandoffService, sent: dict[str, str]) -> list[dict[str, Any]]:
    """Recent records this page has not seen in their current version (and remember them)."""
    changed = []
    for record in await handoff.queue(QUEUE_LIMIT):
        data = _for_agent(record, handoff)
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
                    if _session(request) is None:
                        break  # the session expired while the page stayed open
                    # Records written by other bot instances reach this page through the shared store.
                    for data in await _changes(handoff, sent):
                        await response.write(_sse("update", data))
                    await response.write(b": keep-alive\n\n")
                    continue
                if event["type"] == "closed":
                    break
                changed = HandoffRecord.model_validate(event["record"])
                sent[changed.handoff_id] = event["record"]["updated_at"]
                await response.write(_sse(event["type"], _for_agent(changed, handoff)))
        except ConnectionResetError:
            logger.debug("agent console closed the page", extra={"agent": session.user})
    return response
