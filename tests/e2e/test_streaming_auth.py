"""Channel tokens on the streaming upgrade (GET /api/messages): with an app id configured the socket
opens only for a valid telephony-channel token; every other token gets 401 before anything runs.

The signing keys are served from a local OpenID metadata endpoint (no network); the client is
Microsoft's npm botframework-streaming WebSocketClient, sending the token and channel id on the upgrade.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator

import jwt
import pytest
import pytest_asyncio
from botframework.connector.auth import ChannelValidation
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.emulator import texts
from adapters.streaming_client import StreamingChannel, StreamingRejected
from tests.support.bot_harness import make_test_settings, running_bot
from tests.support.channel_keys import CHANNEL_ISSUER, KNOWN_KID, ChannelKeys, serve_channel_keys
from tests.support.streaming_driver import UpgradeRefused, node_streaming_client, require_node_client

APP_ID = "00000000-0000-0000-0000-00000000c0de"
FORGERIES = (
    "malformed",
    "expired",
    "wrongly signed",
    "unknown kid",
    "alg none",
    "HS256 keyed with the public key",
    "wrong audience",
    "wrong issuer",
)
pytestmark = pytest.mark.asyncio(loop_scope="module")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged(keys: ChannelKeys, kind: str) -> str:
    """A token of the given broken or forged kind, aimed at this bot."""
    now = int(time.time())
    claims = {"iss": CHANNEL_ISSUER, "aud": APP_ID, "nbf": now - 60, "exp": now + 3600}
    if kind == "malformed":
        return "not-a-jwt"
    if kind == "expired":
        return keys.token(APP_ID, lifetime_s=-3600)
    if kind == "wrongly signed":
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return jwt.encode(claims, other, algorithm="RS256", headers={"kid": KNOWN_KID})
    if kind == "unknown kid":
        return keys.token(APP_ID, kid="not-a-channel-key")
    if kind == "wrong audience":
        return keys.token("someone-elses-bot")
    if kind == "wrong issuer":
        return jwt.encode({**claims, "iss": "https://sts.windows.net/evil/"}, keys.key, algorithm="RS256",
                          headers={"kid": KNOWN_KID})  # fmt: skip
    header = {"alg": "none" if kind == "alg none" else "HS256", "typ": "JWT", "kid": KNOWN_KID}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    if kind == "alg none":
        return signing_input + "."
    # HS256 keyed with the public key, the algorithm-confusion forgery (PyJWT refuses to make one).
    public_pem = keys.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return f"{signing_input}.{_b64(hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest())}"


@pytest.fixture(scope="module")
def channel_keys() -> Iterator[ChannelKeys]:
    """The channel's signing key, endorsed for telephony only, where botbuilder looks for it."""
    with serve_channel_keys(endorsements=("telephony",)) as keys:
        previous = ChannelValidation.open_id_metadata_endpoint
        ChannelValidation.open_id_metadata_endpoint = keys.metadata_url
        try:
            yield keys
        finally:
            ChannelValidation.open_id_metadata_endpoint = previous


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot_url(
    tmp_path_factory, knowledge_index_dir, trained_recognizer, channel_keys
) -> AsyncIterator[str]:
    require_node_client()
    settings = make_test_settings(
        tmp_path_factory.mktemp("streaming-auth"), knowledge_index_dir, app_id=APP_ID
    )
    async with running_bot(settings, trained_recognizer) as (channel, _):
        yield channel.bot_url.replace("http://", "ws://")


def telephony_headers(token: str | None) -> dict[str, str]:
    headers = {"ChannelId": "telephony"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return headers


async def test_a_valid_channel_token_opens_the_socket_and_the_call_runs(bot_url, channel_keys):
    async with node_streaming_client(bot_url, telephony_headers(channel_keys.token(APP_ID))) as client:
        update = {
            "type": "conversationUpdate",
            "channelId": "telephony",
            "serviceUrl": "urn:botframework:websocket:telephony",
            "conversation": {"id": "streaming-auth-valid"},
            "from": {"id": "caller", "name": "+14255550100"},
            "recipient": {"id": "bot", "name": "+18005550123"},
            "membersAdded": [{"id": "caller", "name": "+14255550100"}],
            "locale": "en-US",
        }
        answer, greeting = await client.send(update)
    assert answer["status"] == 200
    assert texts(greeting)[0].startswith("Hi Carlos")


@pytest.mark.parametrize("kind", FORGERIES)
async def test_a_forged_or_broken_token_gets_401_on_the_upgrade(bot_url, channel_keys, kind, caplog):
    with pytest.raises(UpgradeRefused) as refused:
        async with node_streaming_client(bot_url, telephony_headers(forged(channel_keys, kind))):
            pass
    assert refused.value.status == 401
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


MISSING = {
    "no token": lambda token: {"ChannelId": "telephony"},
    "no token, no channel id": lambda token: {},
    "not a bearer token": lambda token: {"ChannelId": "telephony", "Authorization": f"Basic {token}"},
    "empty bearer": lambda token: {"ChannelId": "telephony", "Authorization": "Bearer "},
    "a valid token, no channel id": lambda token: {"Authorization": f"Bearer {token}"},
    # The key is endorsed for the telephony channel only.
    "a channel the key is not endorsed for": lambda token: {
        "ChannelId": "msteams",
        "Authorization": f"Bearer {token}",
    },
}


@pytest.mark.parametrize("case", list(MISSING))
async def test_a_missing_token_or_channel_gets_401_on_the_upgrade(bot_url, channel_keys, case, caplog):
    with pytest.raises(UpgradeRefused) as refused:
        async with node_streaming_client(bot_url, MISSING[case](channel_keys.token(APP_ID))):
            pass
    assert refused.value.status == 401
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_the_python_client_is_refused_the_same_way(bot_url, channel_keys):
    with pytest.raises(StreamingRejected) as refused:
        async with StreamingChannel(bot_url, headers=telephony_headers(forged(channel_keys, "unknown kid"))):
            pass
    assert refused.value.status == 401
