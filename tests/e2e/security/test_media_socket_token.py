"""The media WebSocket of a phone call (issue 11, item 7): only the per-call token from the answer opens it;
the ``x-ms-call-connection-id`` header, a guessed token or a second socket with the right one are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from adapters.acs.media_messages import audio_metadata_in
from adapters.acs.registry import CallState
from tests.support.acs_callbacks import AcsOpenIdServer, serve_acs_openid
from tests.support.acs_calls import CallServer, call_settings, serve_calls
from tests.support.voice_relay import RelaySpeechToText, RelayTextToSpeech
from tests.voice.test_call_flow import wait_for


@pytest.fixture(scope="module")
def acs_openid():
    yield from serve_acs_openid()


@pytest.fixture
async def calls(tmp_path, acs_openid: AcsOpenIdServer) -> AsyncIterator[CallServer]:
    speech = {"stt": RelaySpeechToText("hello"), "tts": RelayTextToSpeech(first_frame_s=0.0, ms_per_char=1.0)}
    async for server in serve_calls(call_settings(tmp_path, acs_openid), **speech):
        yield server


async def _refused(calls: CallServer, url: str, headers: dict[str, str] | None = None) -> int:
    try:
        ws = await calls.http.ws_connect(url, headers=headers or {})
    except aiohttp.WSServerHandshakeError as exc:
        return exc.status
    await ws.close()
    return 101


async def test_the_connection_id_header_does_not_open_a_phone_call_s_media(calls: CallServer) -> None:
    record = await calls.answer_call()
    bare = calls.base.replace("http://", "ws://") + "/ws/media"
    headers = {"x-ms-call-connection-id": record.connection_id}
    assert await _refused(calls, bare, headers) == 401
    assert await _refused(calls, bare + "?call=", headers) == 401
    assert await _refused(calls, bare + "?call=" + record.call_id, headers) == 401
    assert calls.registry.bridge(record.call_id) is None and record.state == CallState.ANSWERING
    # The socket ACS opens with the URL it was given still gets the call.
    ws = await calls.http.ws_connect(calls.media_url())
    await ws.send_str(audio_metadata_in())
    assert await wait_for(lambda: calls.registry.bridge(record.call_id) is not None)
    # ...and a second socket, even with the right token, does not take it over.
    assert await _refused(calls, calls.media_url()) == 401
    await ws.close()
    assert await wait_for(lambda: calls.registry.get(record.call_id) is None)


async def test_the_call_id_in_logs_reveals_nothing_of_the_tokens(calls: CallServer) -> None:
    record = await calls.answer_call()
    for token in (record.media_token, record.callback_token):
        assert len(token) >= 40
        assert record.call_id.removeprefix("acs-") not in token
    assert record.media_token != record.callback_token
    assert record.media_token in calls.media_url() and record.callback_token in calls.callback_url()
