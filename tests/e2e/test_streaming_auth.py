"""Channel tokens on the streaming upgrade (GET /api/messages): with an app id configured the socket
opens only for a valid telephony-channel token; every other token gets 401 before anything runs.

The signing keys are served from a local OpenID metadata endpoint (no network); the client is
Microsoft's npm botframework-streaming WebSocketClient, sending the token and channel id on the upgrade.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from adapters.emulator import texts
from adapters.streaming_client import StreamingChannel, StreamingRejected
from tests.support.bot_harness import make_test_settings, running_bot
from tests.support.channel_tokens import ChannelKeys, served_channel_keys
from tests.support.streaming_driver import UpgradeRefused, node_streaming_client, require_node_client

APP_ID = "00000000-0000-0000-0000-00000000c0de"
KEYS = ChannelKeys(APP_ID)
FORGED = KEYS.forged_tokens()
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def channel_keys() -> Iterator[ChannelKeys]:
    with served_channel_keys(KEYS) as keys:
        yield keys


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
    async with node_streaming_client(bot_url, telephony_headers(channel_keys.token())) as client:
        update = {
            "type": "conversationUpdate",
            "channelId": "telephony",
            "serviceUrl": "urn:botframework:telephony",
            "conversation": {"id": "streaming-auth-valid"},
            "from": {"id": "caller", "name": "+14255550100"},
            "recipient": {"id": "bot", "name": "+18005550123"},
            "membersAdded": [{"id": "caller", "name": "+14255550100"}],
            "locale": "en-US",
        }
        answer, greeting = await client.send(update)
    assert answer["status"] == 200
    assert texts(greeting)[0].startswith("Hi Carlos")


@pytest.mark.parametrize("kind", sorted(FORGED))
async def test_a_forged_or_broken_token_gets_401_on_the_upgrade(bot_url, channel_keys, kind, caplog):
    with pytest.raises(UpgradeRefused) as refused:
        async with node_streaming_client(bot_url, telephony_headers(FORGED[kind])):
            pass
    assert refused.value.status == 401
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    ("case", "headers"),
    [
        ("no token", {"ChannelId": "telephony"}),
        ("no token, no channel id", {}),
        ("not a bearer token", {"ChannelId": "telephony", "Authorization": f"Basic {KEYS.token()}"}),
        ("empty bearer", {"ChannelId": "telephony", "Authorization": "Bearer "}),
        # The key is endorsed for the telephony channel only.
        (
            "channel the key is not endorsed for",
            {"ChannelId": "msteams", "Authorization": f"Bearer {KEYS.token()}"},
        ),
    ],
)
async def test_a_missing_token_or_channel_gets_401_on_the_upgrade(
    bot_url, channel_keys, case, headers, caplog
):
    with pytest.raises(UpgradeRefused) as refused:
        async with node_streaming_client(bot_url, headers):
            pass
    assert refused.value.status == 401, case
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_the_python_client_is_refused_the_same_way(bot_url, channel_keys):
    with pytest.raises(StreamingRejected) as refused:
        async with StreamingChannel(bot_url, headers=telephony_headers(FORGED["unknown kid"])):
            pass
    assert refused.value.status == 401
