"""Agent console sign-in throttle (issue 11, item 5): 300 concurrent attempts with their bodies held back
get no more than the documented five tries; accounts are limited too; the client address comes from a
trusted proxy only; the lockout is the styled sign-in page."""

from __future__ import annotations

import asyncio

import aiohttp

from config import SecuritySettings
from tests.support.console_server import CONSOLE_PASSWORD, console_server, sign_in_slowly
from web.console_auth import MAX_ACCOUNT_FAILURES, MAX_FAILURES

BEHIND_PROXY = SecuritySettings(trusted_proxies=("127.0.0.1/32",))


async def test_three_hundred_concurrent_slow_attempts_get_five_tries_and_not_the_password():
    async with console_server() as base:
        release = asyncio.Event()
        wrong = [asyncio.create_task(sign_in_slowly(base, f"guess-{n}", release)) for n in range(299)]
        await asyncio.sleep(1.0)  # every head has arrived; the bodies are still held back
        right = asyncio.create_task(sign_in_slowly(base, CONSOLE_PASSWORD, release))
        await asyncio.sleep(0.5)
        release.set()
        results = await asyncio.gather(*wrong, right)
    statuses = [status for status, _ in results]
    assert all(status in (302, 429) for status in statuses), set(statuses)
    assert statuses.count(302) <= MAX_FAILURES, statuses.count(302)
    status, head = results[-1]
    assert status == 429 and "agent_session=" not in head  # the right password came too late


async def test_password_spraying_from_many_addresses_locks_the_account():
    async with console_server(BEHIND_PROXY) as base, aiohttp.ClientSession() as http:
        for n in range(MAX_ACCOUNT_FAILURES):
            response = await http.post(
                f"{base}/agent/login",
                data={"username": "agent", "password": f"spray-{n}"},
                headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
                allow_redirects=False,
            )
            assert response.status == 302
        response = await http.post(
            f"{base}/agent/login",
            data={"username": "agent", "password": CONSOLE_PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.7"},
            allow_redirects=False,
        )
        assert response.status == 429 and "agent_session" not in response.cookies


async def test_behind_a_trusted_proxy_each_client_has_its_own_attempts():
    async with console_server(BEHIND_PROXY) as base, aiohttp.ClientSession() as http:
        for n in range(MAX_FAILURES):
            await http.post(
                f"{base}/agent/login",
                data={"username": "agent", "password": f"wrong-{n}"},
                headers={"X-Forwarded-For": "203.0.113.9"},
                allow_redirects=False,
            )
        locked = await http.post(
            f"{base}/agent/login",
            data={"username": "agent", "password": CONSOLE_PASSWORD},
            headers={"X-Forwarded-For": "203.0.113.9"},
            allow_redirects=False,
        )
        assert locked.status == 429
        # the proxy appends the real client: a forged left-most entry does not hide 203.0.113.9
        forged = await http.post(
            f"{base}/agent/login",
            data={"username": "agent", "password": CONSOLE_PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9"},
            allow_redirects=False,
        )
        assert forged.status == 429
        other = await http.post(
            f"{base}/agent/login",
            data={"username": "agent", "password": CONSOLE_PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.20"},
            allow_redirects=False,
        )
        assert other.status == 303  # another agent's address is not locked out


async def test_forwarded_for_from_an_untrusted_peer_changes_nothing():
    async with console_server() as base, aiohttp.ClientSession() as http:
        for n in range(MAX_FAILURES):
            await http.post(
                f"{base}/agent/login",
                data={"username": "agent", "password": f"wrong-{n}"},
                headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
                allow_redirects=False,
            )
        response = await http.post(
            f"{base}/agent/login",
            data={"username": "agent", "password": CONSOLE_PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.99"},
            allow_redirects=False,
        )
        assert response.status == 429


async def test_the_lockout_is_the_styled_sign_in_page():
    async with console_server() as base, aiohttp.ClientSession() as http:
        for n in range(MAX_FAILURES):
            await http.post(
                f"{base}/agent/login", data={"username": "agent", "password": f"x{n}"}, allow_redirects=False
            )
        response = await http.post(
            f"{base}/agent/login", data={"username": "agent", "password": "x"}, allow_redirects=False
        )
        page = await response.text()
    assert response.status == 429 and response.content_type == "text/html"
    assert '<link rel="stylesheet" href="/agent/assets/console.css">' in page
    assert "Too many sign-in attempts" in page and 'role="alert" hidden' not in page
    assert '<form method="post" action="/agent/login"' in page
    assert int(response.headers["Retry-After"]) > 0
