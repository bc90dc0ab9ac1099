"""Agent console HTTP API: no data without a session; sign-in, record by id, pick-up, live events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from botbuilder.core import MemoryStorage

from services.handoff.base import EscalationReason
from services.handoff.embedded_handoff import EmbeddedHandoffService
from services.handoff.store import HandoffStore
from tests.services.handoff.conftest import block_card_journal
from web import console_routes as routes
from web.console_auth import COOKIE_NAME, ConsoleAuth
from web.console_routes import add_agent_routes

PASSWORD = "correct horse battery staple"


@pytest.fixture
async def console(make_service) -> AsyncIterator[tuple[TestClient, object]]:
    service = make_service()
    app = web.Application()
    add_agent_routes(app, service, ConsoleAuth("agent", PASSWORD))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client, service


async def _sign_in(client: TestClient, password: str = PASSWORD) -> int:
    response = await client.post(
        "/agent/login", data={"username": "agent", "password": password}, allow_redirects=False
    )
    return response.status


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/agent/handoffs/{id}"),
        ("GET", "/agent/handoffs"),
        ("GET", "/agent/events"),
        ("GET", "/agent/session"),
        ("POST", "/agent/handoffs/{id}/pickup"),
    ],
)
async def test_anonymous_requests_get_401_and_no_data(console, method: str, path: str) -> None:
    client, service = console
    ticket = await service.escalate(block_card_journal(), EscalationReason.FRAUD)
    response = await client.request(
        method, path.format(id=ticket.handoff_id), headers={"X-Agent-Console": "1"}
    )
    body = await response.text()
    assert response.status == 401
    assert "Carlos" not in body and ticket.handoff_id not in body and "BLK123456" not in body


async def test_anonymous_page_redirects_to_sign_in(console) -> None:
    client, _ = console
    response = await client.get("/agent", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == "/agent/login"


async def test_forged_or_expired_cookie_is_refused(console) -> None:
    client, service = console
    ticket = await service.escalate(block_card_journal(), EscalationReason.FRAUD)
    other = ConsoleAuth("agent", "another password").issue("agent")
    expired = ConsoleAuth("agent", PASSWORD, session_seconds=-1).issue("agent")
    for token in (other, expired, "garbage", other.split(".")[0] + ".x"):
        client.session.cookie_jar.update_cookies({COOKIE_NAME: token})
        response = await client.get(f"/agent/handoffs/{ticket.handoff_id}")
        assert response.status == 401


async def test_wrong_password_is_refused_and_throttled(console) -> None:
    client, _ = console
    for _ in range(5):
        assert await _sign_in(client, "wrong") == 302
    assert (await client.get("/agent/session")).status == 401
    assert await _sign_in(client) == 429  # even the right password waits after five failures


async def test_signed_in_agent_reads_the_full_record_by_id(console) -> None:
    client, service = console
    ticket = await service.escalate(block_card_journal(), EscalationReason.FRAUD)
    login = await client.post(
        "/agent/login", data={"username": "agent", "password": PASSWORD}, allow_redirects=False
    )
    assert login.status == 303 and login.headers["Location"] == "/agent"
    set_cookie = login.headers["Set-Cookie"]
    assert set_cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie and "Path=/;" in set_cookie + ";"

    page = await client.get("/agent")
    assert page.status == 200 and "Content-Security-Policy" in page.headers
    response = await client.get(f"/agent/handoffs/{ticket.handoff_id}")
    record = await response.json()
    assert response.headers["Cache-Control"] == "no-store"
    assert record["summary"] == ticket.summary and record["priority"] == "high"
    assert record["caller"]["phone_masked"] == "•••0123"
    assert (await client.get("/agent/handoffs/unknown")).status == 404


async def test_pick_up_needs_the_console_header(console) -> None:
    client, service = console
    ticket = await service.escalate(block_card_journal(), EscalationReason.CALLER_REQUEST)
    await _sign_in(client)
    refused = await client.post(f"/agent/handoffs/{ticket.handoff_id}/pickup")
    assert refused.status == 403
    response = await client.post(
        f"/agent/handoffs/{ticket.handoff_id}/pickup", headers={"X-Agent-Console": "1"}
    )
    assert (await response.json())["status"] == "picked_up"
    assert (await service.get(ticket.handoff_id)).picked_up_by == "agent"


async def _next_event(response) -> tuple[str, object]:
    event, data = "", ""
    while True:
        line = (await response.content.readline()).decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and event:
            return event, json.loads(data)


async def test_events_stream_a_snapshot_then_new_handoffs(console) -> None:
    client, service = console
    first = await service.escalate(block_card_journal("call-1"), EscalationReason.CALLER_REQUEST)
    await _sign_in(client)
    response = await client.get("/agent/events")
    assert response.headers["Content-Type"] == "text/event-stream"
    event, snapshot = await asyncio.wait_for(_next_event(response), 5)
    assert event == "snapshot" and [r["handoff_id"] for r in snapshot] == [first.handoff_id]

    second = await service.escalate(block_card_journal("call-2"), EscalationReason.FRAUD)
    event, record = await asyncio.wait_for(_next_event(response), 5)
    assert event == "handoff" and record["handoff_id"] == second.handoff_id
    assert record["summary"] == second.summary
    response.close()


def test_generated_password_goes_to_stdout_only(capsys: pytest.CaptureFixture[str], caplog) -> None:
    auth = ConsoleAuth.from_settings("agent", "")
    out = capsys.readouterr().out
    password = out.rsplit(": ", 1)[1].strip()
    assert len(password) >= 16 and auth.check_password("agent", password)
    assert password not in caplog.text


async def test_handoffs_from_another_instance_reach_the_page(monkeypatch) -> None:
    """Two bot instances share the session store; the console is connected to the other one."""
    monkeypatch.setattr(routes, "SYNC_SECONDS", 0.2)
    storage = MemoryStorage()
    instance_a = EmbeddedHandoffService(HandoffStore(storage), target="+14255550199")
    instance_b = EmbeddedHandoffService(HandoffStore(storage), target="+14255550199")
    app = web.Application()
    add_agent_routes(app, instance_b, ConsoleAuth("agent", PASSWORD))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        await _sign_in(client)
        response = await client.get("/agent/events")
        assert await asyncio.wait_for(_next_event(response), 5) == ("snapshot", [])
        ticket = await instance_a.escalate(block_card_journal(), EscalationReason.FRAUD)
        event, record = await asyncio.wait_for(_next_event(response), 5)
        assert event == "update" and record["handoff_id"] == ticket.handoff_id
        await instance_a.pick_up(ticket.handoff_id, "agent9")
        event, record = await asyncio.wait_for(_next_event(response), 5)
        assert record["status"] == "picked_up"
        response.close()
