"""Forged and misbound Call Automation callbacks (issue 11, item 6): only a JWT signed by ACS for this
resource, posted to the call's own callback URL, changes a call; the Event Grid secret never reaches a log."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator

import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.acs.registry import CallState
from core.observability.access_log import RedactedAccessLogger
from tests.support.acs_callbacks import ISSUER, RESOURCE_ID, AcsOpenIdServer, serve_acs_openid
from tests.support.acs_calls import SECRET, CallServer, call_event, call_settings, serve_calls


@pytest.fixture(scope="module")
def acs_openid():
    yield from serve_acs_openid()


@pytest.fixture
async def calls(tmp_path, acs_openid: AcsOpenIdServer) -> AsyncIterator[CallServer]:
    async for server in serve_calls(call_settings(tmp_path, acs_openid)):
        yield server


async def test_a_genuine_callback_on_the_call_s_own_url_is_applied(calls: CallServer, acs_openid) -> None:
    record = await calls.answer_call()
    url = calls.callback_url()
    assert "secret" not in url and SECRET not in url
    assert (
        await calls.post_events(
            url, [call_event("CallConnected", record.connection_id)], acs_openid.headers()
        )
        == 200
    )
    assert record.state == CallState.CONNECTED


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hand_made(claims: dict, alg: str, kid: str, key: bytes = b"") -> str:
    """A token PyJWT refuses to make: unsigned, or HMAC-signed with the published public key as secret."""
    header = _b64(json.dumps({"alg": alg, "typ": "JWT", "kid": kid}).encode())
    signing_input = f"{header}.{_b64(json.dumps(claims).encode())}"
    if alg == "none":
        return signing_input + "."
    return f"{signing_input}.{_b64(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())}"


def _forgeries(openid: AcsOpenIdServer) -> dict[str, dict[str, str]]:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": RESOURCE_ID, "iat": now, "exp": now + 300}
    attacker_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.dumps(openid.public_jwks[0]).encode()
    return {
        "no token": {},
        "not a bearer token": {"Authorization": f"Basic {base64.b64encode(b'a:b').decode()}"},
        "garbage": {"Authorization": "Bearer not.a.jwt"},
        "attacker's own key": {
            "Authorization": "Bearer "
            + jwt.encode(claims, attacker_key, algorithm="RS256", headers={"kid": openid.kid})
        },
        "unknown key id": {
            "Authorization": "Bearer "
            + jwt.encode(claims, attacker_key, algorithm="RS256", headers={"kid": "nope"})
        },
        "alg none": {"Authorization": "Bearer " + _hand_made(claims, "none", openid.kid)},
        "HS256 with the public key": {
            "Authorization": "Bearer " + _hand_made(claims, "HS256", openid.kid, public)
        },
        "another ACS resource": openid.headers(audience="00000000-0000-0000-0000-00000000beef"),
        "another issuer": openid.headers(issuer="https://evil.example.com"),
        "expired": openid.headers(lifetime=-600),
    }


async def test_forged_callbacks_are_401_and_change_nothing(calls: CallServer, acs_openid, caplog) -> None:
    record = await calls.answer_call()
    url = calls.callback_url()
    for name, headers in _forgeries(acs_openid).items():
        events = [call_event("CallDisconnected", record.connection_id)]
        assert await calls.post_events(url, events, headers) == 401, name
        assert record.state == CallState.ANSWERING and calls.registry.get(record.call_id) is record, name
    assert "Traceback" not in caplog.text


async def test_an_event_for_another_call_is_refused_and_not_applied(calls: CallServer, acs_openid) -> None:
    victim = await calls.answer_call("+14255550100")
    victim_url = calls.callback_url()
    attacker = await calls.answer_call("+14255550123")
    attacker_url = calls.callback_url()
    assert attacker_url != victim_url
    # A genuine ACS token (the attacker's own call's), replayed with the victim's call in the body.
    injected = [call_event("CallDisconnected", victim.connection_id)]
    assert await calls.post_events(attacker_url, injected, acs_openid.headers()) == 401
    # Mixed with the attacker's own event: the whole request is refused, nothing in it applied.
    mixed = [call_event("CallConnected", attacker.connection_id), *injected]
    assert await calls.post_events(attacker_url, mixed, acs_openid.headers()) == 401
    # No call token at all, or a guessed one.
    bare = calls.url("/api/calls/events")
    assert await calls.post_events(bare, injected, acs_openid.headers()) == 401
    assert await calls.post_events(bare + "?call=guess", injected, acs_openid.headers()) == 401
    assert victim.state == CallState.ANSWERING and calls.registry.get(victim.call_id) is victim
    assert attacker.state == CallState.ANSWERING
    # The victim's own callbacks still work.
    assert await calls.post_events(victim_url, injected, acs_openid.headers()) == 200
    assert calls.registry.get(victim.call_id) is None


async def test_callbacks_are_refused_when_no_acs_resource_id_is_configured(tmp_path, acs_openid) -> None:
    async for calls in serve_calls(call_settings(tmp_path, acs_openid, resource_id="")):
        record = await calls.answer_call()
        events = [call_event("CallDisconnected", record.connection_id)]
        assert await calls.post_events(calls.callback_url(), events, acs_openid.headers()) == 401
        assert calls.registry.get(record.call_id) is record


async def test_a_rotated_signing_key_is_fetched_and_accepted(tmp_path) -> None:
    for openid in serve_acs_openid():
        async for calls in serve_calls(call_settings(tmp_path, openid)):
            record = await calls.answer_call()
            url = calls.callback_url()
            assert (
                await calls.post_events(
                    url, [call_event("CallConnected", record.connection_id)], openid.headers()
                )
                == 200
            )
            fetches = openid.fetches
            assert (
                await calls.post_events(
                    url, [call_event("PlayFailed", record.connection_id)], openid.headers()
                )
                == 200
            )
            assert openid.fetches == fetches  # keys are cached between callbacks
            openid.rotate()
            # The cooldown stops junk kids from hammering ACS; after it, the new key is fetched.
            from adapters.acs.callback_auth import CALLBACK_AUTH_KEY

            calls.server.app[CALLBACK_AUTH_KEY]._keys.fetched_at -= 60
            events = [call_event("CallDisconnected", record.connection_id)]
            assert await calls.post_events(url, events, openid.headers()) == 200
            assert calls.registry.get(record.call_id) is None


async def test_the_access_log_shows_no_secret_token_or_caller_number(tmp_path, acs_openid, caplog) -> None:
    options = {"server_options": {"access_log_class": RedactedAccessLogger}}
    async for calls in serve_calls(call_settings(tmp_path, acs_openid), **options):
        with caplog.at_level(logging.INFO, logger="aiohttp.access"):
            record = await calls.answer_call()
            await calls.post_events(
                calls.callback_url(),
                [call_event("CallConnected", record.connection_id)],
                acs_openid.headers(),
            )
            async with calls.http.get(calls.url("/softphone"), params={"from": "+14255550123"}):
                pass
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert any("/api/calls/incoming?secret=…" in line for line in lines), lines
    assert any("/api/calls/events?call=…" in line for line in lines), lines
    text = "\n".join(lines)
    for leaked in (SECRET, record.callback_token, "14255550123"):
        assert leaked not in text
    assert "secret=" + SECRET[:3] not in text


async def test_the_wrong_event_grid_secret_is_still_401(calls: CallServer) -> None:
    async with calls.http.post(calls.url("/api/calls/incoming"), json=[], params={"secret": "wrong"}) as resp:
        assert resp.status == 401
    assert calls.acs.answered == []
    assert isinstance(web.HTTPUnauthorized.status_code, int)
