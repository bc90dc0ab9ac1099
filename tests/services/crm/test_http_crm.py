"""HttpCrm against the real demo CRM server over HTTP, and against servers that fail on purpose."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from azure.core.credentials import AccessToken

from config import CrmHttpSettings
from services.crm.base import CardNotFound, CrmError, CrmUnavailable
from services.crm.embedded_sqlite import EmbeddedSqliteCrm
from services.crm.http_crm import HttpCrm
from services.crm.models import AccessContext, AccountType, CardType
from services.crm.server import create_crm_app
from tests.support.servers import ROOT, free_port, stop_pid, wait_for_port

CTX = AccessContext(conversation_id="conv-1", intent="check_balance")
KEY = "test-subscription-key"


def settings(url: str, **overrides: Any) -> CrmHttpSettings:
    values: dict[str, Any] = {
        "base_url": url,
        "subscription_key": KEY,
        "timeout_seconds": 2.0,
        "max_retries": 3,
    }
    return CrmHttpSettings(**(values | overrides))


async def _serve(app: web.Application) -> TestServer:
    server = TestServer(app, host="127.0.0.1", port=free_port())
    await server.start_server()
    return server


@pytest.fixture
async def demo_server(tmp_path: Path) -> AsyncIterator[str]:
    server = await _serve(create_crm_app(EmbeddedSqliteCrm(tmp_path / "crm.sqlite3"), KEY))
    yield str(server.make_url("")).rstrip("/")
    await server.close()


class Scripted:
    """A server that answers the first requests from a script (status, headers, delay), then 200."""

    def __init__(self, script: list[tuple[int, dict[str, str], float]], ok_body: dict[str, Any]) -> None:
        self.script = list(script)
        self.ok_body = ok_body
        self.requests: list[web.Request] = []
        self.headers: list[dict[str, str]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(request)
        self.headers.append(dict(request.headers))
        if self.script:
            status, headers, delay = self.script.pop(0)
            await asyncio.sleep(delay)
            if status != 200:
                return web.json_response({"error": "scripted"}, status=status, headers=headers)
        return web.json_response(self.ok_body)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app


@pytest.fixture
async def scripted() -> AsyncIterator[Any]:
    servers: list[TestServer] = []

    async def start(script: list[tuple[int, dict[str, str], float]], body: dict[str, Any] | None = None):
        fake = Scripted(script, body if body is not None else {"items": []})
        server = await _serve(fake.app())
        servers.append(server)
        return fake, str(server.make_url("")).rstrip("/")

    yield start
    for server in servers:
        await server.close()


class RecordingSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


async def test_every_crm_method_over_http_against_the_demo_server(demo_server: str) -> None:
    crm = HttpCrm(settings(demo_server))
    customer = await crm.find_customer_by_phone("+14255550100", CTX)
    assert customer is not None and customer.first_name == "Carlos" and customer.language == "en-US"
    assert await crm.find_customer_by_phone("+19995550000", CTX) is None
    assert (await crm.get_customer("C1002", CTX)).first_name == "María"  # type: ignore[union-attr]
    assert await crm.get_customer("C9999", CTX) is None
    assert await crm.verify_pin("C1001", "1234", CTX) is True
    assert await crm.verify_pin("C1001", "9999", CTX) is False
    accounts = {a.account_type: a for a in await crm.get_accounts("C1001", CTX)}
    assert accounts[AccountType.SAVINGS].balance == Decimal("1250.40")
    assert accounts[AccountType.CHECKING].currency == "USD"
    transactions = await crm.get_transactions("C1001", AccountType.CHECKING, 3, CTX)
    assert [t.description for t in transactions] == ["Grocery store", "Transfer to savings", "Coffee shop"]
    assert transactions[0].amount == Decimal("-54.20")
    cards = await crm.get_cards("C1001", CTX)
    assert {(c.card_type, c.last4, c.status) for c in cards} == {
        (CardType.DEBIT, "7782", "active"),
        (CardType.CREDIT, "9031", "active"),
    }
    statement = await crm.get_card_statement("C1001", CTX)
    assert (
        statement is not None
        and statement.minimum_payment == Decimal("35.00")
        and statement.due_date.day == 15
    )
    assert await crm.get_card_statement("C9999", CTX) is None
    tickets = await crm.get_open_tickets("C1001", CTX)
    assert [t.ticket_id for t in tickets] == ["T5001"]
    reference = await crm.block_card("C1001", CardType.DEBIT, CTX)
    assert reference.startswith("BLK")
    assert {c.card_type: c.status for c in await crm.get_cards("C1001", CTX)}[CardType.DEBIT] == "blocked"
    with pytest.raises(CardNotFound):
        await crm.block_card("C9999", CardType.CREDIT, CTX)
    assert await crm.ping() is True
    await crm.close()


async def test_a_response_of_the_wrong_shape_is_crm_unavailable(scripted) -> None:
    _fake, url = await scripted([], {"items": [{"accountId": "A1", "balance": "not money"}]})
    crm = HttpCrm(settings(url))
    with pytest.raises(CrmUnavailable, match="unexpected shape"):
        await crm.get_accounts("C1001", CTX)
    with pytest.raises(CrmUnavailable):
        await crm.verify_pin("C1001", "1234", CTX)  # no "verified" key: never read as success
    await crm.close()


async def test_line_breaks_in_context_never_reach_a_header(scripted) -> None:
    fake, url = await scripted([])
    crm = HttpCrm(settings(url))
    await crm.get_cards("C1001", AccessContext("conv\r\nX-Evil: 1", "intent\n"))
    assert fake.headers[0]["X-Conversation-Id"] == "convX-Evil: 1" and "X-Evil" not in fake.headers[0]
    await crm.close()


async def test_wrong_subscription_key_is_refused(demo_server: str) -> None:
    crm = HttpCrm(settings(demo_server, subscription_key="wrong"))
    with pytest.raises(CrmUnavailable):
        await crm.get_accounts("C1001", CTX)
    await crm.close()


async def test_subscription_key_and_access_context_headers_are_sent(scripted) -> None:
    fake, url = await scripted([])
    crm = HttpCrm(settings(url))
    await crm.get_accounts("C1001", CTX)
    sent = fake.headers[0]
    assert sent["Ocp-Apim-Subscription-Key"] == KEY
    assert sent["X-Conversation-Id"] == "conv-1" and sent["X-Access-Intent"] == "check_balance"
    assert "Authorization" not in sent
    await crm.close()


async def test_pin_travels_in_the_body_never_the_url(scripted) -> None:
    fake, url = await scripted([], {"verified": True})
    crm = HttpCrm(settings(url))
    assert await crm.verify_pin("C1001", "4321", CTX) is True
    request = fake.requests[0]
    assert request.method == "POST" and "4321" not in str(request.url)
    await crm.close()


async def test_retries_on_429_honouring_retry_after(scripted) -> None:
    fake, url = await scripted([(429, {"Retry-After": "1"}, 0), (429, {"Retry-After": "2"}, 0)])
    sleep = RecordingSleep()
    crm = HttpCrm(settings(url), sleep=sleep)
    assert await crm.get_cards("C1001", CTX) == []
    assert len(fake.requests) == 3
    assert sleep.waits == [1.0, 2.0]
    await crm.close()


async def test_retries_on_503_with_exponential_backoff(scripted) -> None:
    fake, url = await scripted([(503, {}, 0), (503, {}, 0), (502, {}, 0)])
    sleep = RecordingSleep()
    crm = HttpCrm(settings(url), sleep=sleep, backoff_base=0.1)
    assert await crm.get_open_tickets("C1001", CTX) == []
    assert len(fake.requests) == 4
    assert [w <= 0.1 * 2**i for i, w in enumerate(sleep.waits)] == [True, True, True]
    await crm.close()


async def test_retry_after_longer_than_a_caller_should_wait_fails_fast(scripted) -> None:
    fake, url = await scripted([(429, {"Retry-After": "120"}, 0)])
    sleep = RecordingSleep()
    crm = HttpCrm(settings(url), sleep=sleep, max_retry_after=5)
    with pytest.raises(CrmUnavailable):
        await crm.get_cards("C1001", CTX)
    assert len(fake.requests) == 1 and sleep.waits == []
    await crm.close()


async def test_gives_up_after_max_retries(scripted) -> None:
    fake, url = await scripted([(500, {}, 0)] * 10)
    crm = HttpCrm(settings(url, max_retries=2), sleep=RecordingSleep())
    with pytest.raises(CrmUnavailable):
        await crm.get_cards("C1001", CTX)
    assert len(fake.requests) == 3
    await crm.close()


async def test_timeout_raises_crm_unavailable(scripted) -> None:
    fake, url = await scripted([(200, {}, 1.0)] * 5)
    crm = HttpCrm(settings(url, timeout_seconds=0.2, max_retries=1), sleep=RecordingSleep())
    with pytest.raises(CrmUnavailable):
        await crm.get_accounts("C1001", CTX)
    assert len(fake.requests) == 2
    await crm.close()


async def test_connection_refused_raises_crm_unavailable() -> None:
    crm = HttpCrm(settings(f"http://127.0.0.1:{free_port()}", max_retries=1), sleep=RecordingSleep())
    with pytest.raises(CrmUnavailable):
        await crm.get_customer("C1001", CTX)
    assert await crm.ping() is False
    await crm.close()


async def test_circuit_breaker_opens_then_half_opens_and_closes(scripted) -> None:
    fake, url = await scripted([(503, {}, 0)] * 6)
    now = [1000.0]
    crm = HttpCrm(
        settings(url, max_retries=0, breaker_failures=3, breaker_reset_seconds=30),
        sleep=RecordingSleep(),
        clock=lambda: now[0],
    )
    for _ in range(3):
        with pytest.raises(CrmUnavailable):
            await crm.get_cards("C1001", CTX)
    assert crm.breaker.state == "open"
    hits = len(fake.requests)
    with pytest.raises(CrmUnavailable, match="circuit open"):
        await crm.get_cards("C1001", CTX)
    assert len(fake.requests) == hits  # failed fast, the CRM was spared

    now[0] += 31
    assert crm.breaker.state == "half_open"
    with pytest.raises(CrmUnavailable):  # the trial call fails (scripted 503): open again
        await crm.get_cards("C1001", CTX)
    assert crm.breaker.state == "open"
    now[0] += 31
    fake.script.clear()
    assert await crm.get_cards("C1001", CTX) == []  # trial succeeds: closed
    assert crm.breaker.state == "closed"
    await crm.close()


async def test_entra_bearer_token_from_the_credential_is_sent_and_cached(scripted) -> None:
    class FakeCredential:
        def __init__(self) -> None:
            self.calls: list[tuple[str, ...]] = []

        async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            self.calls.append(scopes)
            return AccessToken("eyJ.fake.token", int(__import__("time").time()) + 3600)

        async def close(self) -> None:
            pass

    fake, url = await scripted([])
    credential = FakeCredential()
    crm = HttpCrm(
        settings(url, auth="entra", entra_scope="api://contoso-crm/.default", subscription_key=""),
        credential=credential,
    )
    await crm.get_cards("C1001", CTX)
    await crm.get_accounts("C1001", CTX)
    assert all(h["Authorization"] == "Bearer eyJ.fake.token" for h in fake.headers)
    assert all("Ocp-Apim-Subscription-Key" not in h for h in fake.headers)
    assert credential.calls == [("api://contoso-crm/.default",)]
    await crm.close()


async def test_entra_without_a_scope_is_a_configuration_error() -> None:
    with pytest.raises(ValueError):
        HttpCrm(CrmHttpSettings(auth="entra", entra_scope=""))


async def test_a_retried_block_does_not_block_twice(tmp_path: Path) -> None:
    """The first answer is lost (503 after the block happened); the retry carries the same
    Idempotency-Key, so the server answers with the first reference instead of blocking again."""
    inner = EmbeddedSqliteCrm(tmp_path / "crm.sqlite3")
    app = create_crm_app(inner, KEY)
    lost = {"done": False}

    @web.middleware
    async def lose_first_answer(request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        if request.method == "POST" and not lost["done"]:
            lost["done"] = True
            return web.json_response({"error": "gateway"}, status=503)
        return response

    app.middlewares.insert(0, lose_first_answer)
    server = await _serve(app)
    crm = HttpCrm(settings(str(server.make_url("")).rstrip("/")), sleep=RecordingSleep())
    reference = await crm.block_card("C1001", CardType.CREDIT, CTX)
    blocks = await inner._run(lambda conn: conn.execute("SELECT reference FROM card_blocks").fetchall())
    assert [row[0] for row in blocks] == [reference]
    await crm.close()
    await server.close()


async def test_the_client_refuses_routes_outside_its_scope() -> None:
    crm = HttpCrm(settings("http://127.0.0.1:1"))
    with pytest.raises(CrmError):
        await crm._call("DELETE", "/customers/{id}", "/customers/C1001", CTX)
    with pytest.raises(CrmError):
        await crm._call("POST", "/customers/{id}/accounts", "/customers/C1001/accounts", CTX)


def _spawn_demo_server(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "services.crm.server", *args],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def test_demo_server_runs_as_a_module_with_a_subscription_key(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "CRM_HTTP__SUBSCRIPTION_KEY": KEY, "DATA_DIR": str(tmp_path)}
    args = ["--port", str(port), "--db", str(tmp_path / "crm.db")]
    proc = _spawn_demo_server(args, env)
    try:
        await asyncio.to_thread(wait_for_port, port, 20.0)
        crm = HttpCrm(settings(f"http://127.0.0.1:{port}"))
        assert await crm.ping() is True
        assert (await crm.find_customer_by_phone("+5215555550101", CTX)).customer_id == "C1002"  # type: ignore[union-attr]
        await crm.close()
        anonymous = HttpCrm(settings(f"http://127.0.0.1:{port}", subscription_key=""))
        with pytest.raises(CrmUnavailable):
            await anonymous.get_cards("C1002", CTX)
        await anonymous.close()
    finally:
        stop_pid(proc.pid)
        proc.wait(timeout=5)
