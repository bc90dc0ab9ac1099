"""HTTP hardening (issue 11, item 13): Secure cookie and HSTS behind a TLS-terminating trusted proxy,
server-side logout, header/body read timeouts, /metrics and /dashboard behind the console sign-in, CSP on
the pages, no version in ``Server``, no one-time password in production."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import aiohttp
import pytest
import requests

from config import SecuritySettings
from tests.e2e.bad_input.support import CONSOLE_PASSWORD, Server, fuzz_settings, serve_bot
from tests.support.console_server import CONSOLE_PASSWORD as LIGHT_PASSWORD
from tests.support.console_server import console_server
from web.console_auth import COOKIE_NAME, ConsoleAuth

BEHIND_TLS_PROXY = SecuritySettings(trusted_proxies=("127.0.0.1",))


@pytest.fixture(scope="module")
def bot(tmp_path_factory, knowledge_index_dir, trained_recognizer) -> Iterator[Server]:
    yield from serve_bot(fuzz_settings(tmp_path_factory, knowledge_index_dir), trained_recognizer)


def _signed_in(bot: Server) -> requests.Session:
    http = requests.Session()
    response = http.post(
        bot.url("/agent/login"),
        data={"username": "agent", "password": CONSOLE_PASSWORD},
        allow_redirects=False,
    )
    assert response.status_code == 303
    return http


async def _sign_in(base: str, headers: dict[str, str]) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as http:
        return await http.post(
            f"{base}/agent/login",
            data={"username": "agent", "password": LIGHT_PASSWORD},
            headers=headers,
            allow_redirects=False,
        )


async def test_behind_a_tls_terminating_trusted_proxy_the_cookie_is_secure_and_hsts_is_sent():
    async with console_server(BEHIND_TLS_PROXY) as base:
        response = await _sign_in(base, {"X-Forwarded-Proto": "https"})
    assert response.status == 303
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


async def test_forwarded_proto_from_an_untrusted_peer_is_ignored():
    async with console_server() as base:
        response = await _sign_in(base, {"X-Forwarded-Proto": "https"})
    assert response.status == 303
    assert "Secure" not in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in response.headers


def test_logout_revokes_the_session_on_the_server(bot):
    http = _signed_in(bot)
    kept = http.cookies.get(COOKIE_NAME)
    assert http.get(bot.url("/agent/session")).status_code == 200
    http.post(bot.url("/agent/logout"), allow_redirects=False)
    replay = requests.get(bot.url("/agent/session"), cookies={COOKIE_NAME: kept})
    assert replay.status_code == 401


def test_metrics_and_dashboard_need_the_console_sign_in(bot):
    assert requests.get(bot.url("/metrics")).status_code == 401
    dashboard = requests.get(bot.url("/dashboard"), allow_redirects=False)
    assert dashboard.status_code == 302 and dashboard.headers["Location"] == "/agent/login"
    assert requests.get(bot.url("/healthz")).status_code == 200  # the platform's health check stays open
    http = _signed_in(bot)
    assert "counters" in http.get(bot.url("/metrics")).json()
    assert http.get(bot.url("/dashboard")).status_code == 200


@pytest.mark.parametrize("path", ["/softphone", "/dashboard", "/agent/login"])
def test_pages_carry_a_content_security_policy(bot, path):
    response = _signed_in(bot).get(bot.url(path))
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    )


@pytest.mark.parametrize("path", ["/healthz", "/agent/login", "/softphone", "/no-such-page"])
def test_the_server_header_names_no_version(bot, path):
    server = requests.get(bot.url(path)).headers["Server"]
    assert "aiohttp" not in server and "Python" not in server and not any(ch.isdigit() for ch in server)


async def test_a_client_that_sends_its_headers_slowly_is_cut_off():
    async with console_server(SecuritySettings(header_timeout_seconds=1.0)) as base:
        host, port = base.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        started = time.monotonic()
        writer.write(b"GET /agent/login HTTP/1.1\r\nHost: console\r\n")  # and never the blank line
        await writer.drain()
        closed = await asyncio.wait_for(reader.read(), 10)  # EOF when the server hangs up
        writer.close()
    assert closed == b"" and time.monotonic() - started < 5


async def test_a_body_that_never_finishes_gets_408():
    async with console_server(SecuritySettings(body_timeout_seconds=1.0)) as base:
        host, port = base.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            b"POST /agent/login HTTP/1.1\r\nHost: console\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=agent"
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        writer.close()
    assert head.split()[1] == b"408"


def test_no_one_time_console_password_in_production(capsys):
    with pytest.raises(ValueError, match="HANDOFF__CONSOLE_PASSWORD"):
        ConsoleAuth.from_settings("agent", "", production=True)
    assert "one-time password" not in capsys.readouterr().out
