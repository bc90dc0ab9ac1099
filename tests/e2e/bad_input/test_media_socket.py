"""/ws/media: garbage frames, the wrong audio format, oversize messages and unknown calls."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from hypothesis import given
from hypothesis import strategies as st

from adapters.acs.media_messages import MAX_MESSAGE_BYTES, audio_data_in, audio_metadata_in, dtmf_in
from adapters.acs.media_ws import REGISTRY_KEY, WS_MAX_MSG_SIZE
from tests.e2e.bad_input.support import (
    CLEAN_CLOSE,
    FUZZ,
    FUZZ_HTTP,
    Server,
    assert_clean,
    json_values,
    still_serving,
)

ws_text = st.one_of(
    st.text(max_size=200),
    json_values.map(json.dumps),
    st.builds(
        lambda kind, body: json.dumps({"kind": kind, **body}),
        st.sampled_from(["AudioData", "AudioMetadata", "DtmfData", "Banana", "TranscriptionData"]),
        st.dictionaries(
            st.sampled_from(["audioData", "audioMetadata", "dtmfData", "data"]), json_values, max_size=2
        ),
    ),
    st.text(alphabet="!@#$%^&*()=", min_size=1, max_size=40).map(
        lambda junk: json.dumps({"kind": "AudioData", "audioData": {"data": junk}})
    ),
    st.binary(min_size=1, max_size=641).map(
        lambda pcm: audio_data_in(pcm)  # odd byte counts included
    ),
    st.text(alphabet="0123456789ABCD*#xyz ", max_size=3).map(dtmf_in),
    st.integers(70_000, 200_000).map(lambda n: audio_data_in(b"\x01" * (n * 3 // 4))),  # skipped, not fatal
)
ws_message = st.one_of(
    ws_text.map(lambda t: ("text", t)),
    st.binary(min_size=1, max_size=500).map(lambda b: ("bytes", b)),
)


async def _media_call(
    server: Server, messages: list[tuple[str, Any]], query: str
) -> tuple[int | None, list[str]]:
    """Open a media socket, send the messages, then hang up; (server's close code or None, texts received)."""
    received: list[str] = []
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(server.ws_url(query), max_msg_size=1 << 23) as ws:

            async def read() -> None:
                async for msg in ws:
                    if msg.type == aiohttp.WSMsgType.TEXT:
                        received.append(msg.data)

            reader = asyncio.create_task(read())
            for kind, payload in messages:
                if ws.closed:
                    break
                try:
                    await (ws.send_str(payload) if kind == "text" else ws.send_bytes(payload))
                except ConnectionError:
                    break
            await asyncio.wait([reader], timeout=0.2)
            server_closed = reader.done()
            if not server_closed:
                await ws.close()
            await asyncio.wait([reader], timeout=5)
            return (ws.close_code if server_closed else None), received


def _media_calls_cleaned_up(server: Server) -> bool:
    """Every socket call has left the registry with its bridge (answered phone calls may remain)."""

    def left() -> list[str]:
        registry = server.app[REGISTRY_KEY]
        calls = [r.call_id for r in registry.calls() if r.softphone or registry.bridge(r.call_id)]
        return calls + [bridge.call_id for bridge in registry.bridges()]

    async def wait() -> bool:
        for _ in range(250):
            if not left():
                return True
            await asyncio.sleep(0.02)
        return False

    return server.call(wait())


@FUZZ
@given(messages=st.lists(ws_message, min_size=1, max_size=12))
def test_garbage_on_the_media_socket_is_skipped_or_closes_cleanly(server, messages):
    code, received = asyncio.run(
        _media_call(server, [("text", audio_metadata_in()), *messages], "softphone=1&from=%2B14255550100")
    )
    assert code is None or code in CLEAN_CLOSE, code
    assert not any("Traceback" in text for text in received)
    assert _media_calls_cleaned_up(server)


@FUZZ
@given(rate=st.integers(0, 200_000).filter(lambda r: r != 16_000), channels=st.integers(-1, 8))
def test_wrong_audio_format_closes_the_call_with_1003(server, rate, channels):
    meta = json.loads(audio_metadata_in(sample_rate=rate))
    meta["audioMetadata"]["channels"] = channels
    code, _ = asyncio.run(_media_call(server, [("text", json.dumps(meta))], "softphone=1"))
    assert code == 1003
    assert _media_calls_cleaned_up(server)


def test_message_beyond_the_socket_limit_closes_with_1009(server):
    big = audio_data_in(b"\x00" * (WS_MAX_MSG_SIZE * 3 // 4 + 1024))
    assert len(big) > WS_MAX_MSG_SIZE > MAX_MESSAGE_BYTES
    code, _ = asyncio.run(_media_call(server, [("text", audio_metadata_in()), ("text", big)], "softphone=1"))
    assert code == 1009
    assert _media_calls_cleaned_up(server)


@FUZZ_HTTP
@given(
    query=st.dictionaries(
        st.sampled_from(["call", "softphone", "from", "lang"]), st.text(max_size=20), max_size=3
    )
)
def test_media_socket_for_an_unknown_call_is_refused_before_upgrade(server, http, query):
    if query.get("softphone") == "1":
        query.pop("softphone")
    response = http.get(
        server.url("/ws/media"),
        params=query,
        headers={
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
    )
    assert_clean(response, {401})


def test_media_socket_still_serves_after_garbage(server):
    async def call() -> list[str]:
        _, received = await _media_call(
            server, [("text", audio_metadata_in()), ("text", dtmf_in("1"))], "softphone=1"
        )
        await asyncio.sleep(0)
        return received

    asyncio.run(call())
    assert _media_calls_cleaned_up(server)
    still_serving(server)
