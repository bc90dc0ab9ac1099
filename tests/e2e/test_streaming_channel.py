"""The telephony channel's own transport: Bot Framework streaming over the WebSocket on /api/messages,
driven by Microsoft's client (npm botframework-streaming, WebSocketClient) against the real app.

Activities go in as streaming requests (POST /api/messages inside the socket); the bot's replies,
events and endOfConversation come back as streaming requests on the same socket, each before the
response to the activity that caused it.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from typing import Any

import pytest

from adapters.emulator import texts
from config import PROJECT_ROOT
from tests.support.bot_harness import make_test_settings, running_bot
from tests.support.leaks import reveals
from tests.support.log_capture import captured_spans
from tests.support.streaming_driver import NodeStreamingClient, node_streaming_client, require_node_client

CALLER_ID = "8f2a7c1e-7d5b-4b8c-9a53-1f0c7b7e2a11"  # opaque; the channel puts the number in from.name


@pytest.fixture
async def bot(tmp_path, knowledge_index_dir, trained_recognizer):
    require_node_client()
    # Recording on transfer: the bot then also sends the channel's recording command over the socket.
    settings = make_test_settings(tmp_path, knowledge_index_dir, handoff={"record_on_transfer": True})
    async with running_bot(settings, trained_recognizer) as (channel, services):
        yield channel.bot_url.replace("http://", "ws://"), services


@pytest.fixture
async def lagging_bot(tmp_path, knowledge_index_dir, trained_recognizer):
    """Sheds new conversations while the event loop lags (the bounds tests/e2e/security use)."""
    require_node_client()
    lag = {"max_in_flight_turns": 0, "max_event_loop_lag_ms": 1000, "lag_window_seconds": 1.0}
    settings = make_test_settings(tmp_path, knowledge_index_dir, admission=lag)
    async with running_bot(settings, trained_recognizer) as (channel, _):
        yield channel.bot_url.replace("http://", "ws://")


def telephony(conversation: str, caller: str = "+14255550100", locale: str = "en-US", **fields: Any) -> dict:
    """An activity as the telephony channel sends it."""
    return {
        "channelId": "telephony",
        "serviceUrl": "urn:botframework:websocket:telephony",
        "conversation": {"id": conversation},
        "from": {"id": CALLER_ID, "name": caller},
        "recipient": {"id": "contoso-voicebot", "name": "+18005550123"},
        "locale": locale,
        **fields,
    }


async def start_call(client: NodeStreamingClient, conversation: str, **kwargs: Any) -> list[dict]:
    update = telephony(conversation, type="conversationUpdate", **kwargs)
    update["membersAdded"] = [dict(update["from"])]
    answer, replies = await client.send(update)
    assert answer["status"] == 200
    return replies


async def say(client: NodeStreamingClient, conversation: str, text: str, **kwargs: Any) -> list[dict]:
    answer, replies = await client.send(telephony(conversation, type="message", text=text, **kwargs))
    assert answer["status"] == 200
    return replies


def key(conversation: str, digit: str) -> dict:
    return telephony(conversation, type="message", text=digit, entities=[{"type": "DTMF"}])


async def test_a_whole_telephony_call_over_the_socket_with_microsofts_client(bot):
    url, services = bot
    conversation = "telephony-stream-call-1"
    with captured_spans() as spans:
        async with node_streaming_client(url) as client:
            greeting = await start_call(client, conversation)
            assert texts(greeting)[0].startswith("Hi Carlos")  # the number came from from.name
            assert "PIN" in " ".join(texts(await say(client, conversation, "what is my checking balance")))

            keys = []
            for digit in "1234":  # one message per key press, as the channel sends them
                answer, replies = await client.send(key(conversation, digit))
                assert answer["status"] == 200
                keys.append(replies)
            assert [texts(k) for k in keys[:3]] == [[], [], []]
            assert "310 dollars and 75 cents" in " ".join(texts(keys[3]))

            handoff = await say(client, conversation, "I want to talk to a person")
            # In the order the bot sent them: the announcement, the recording notice, the recording
            # command, then the transfer.
            kinds = [(r["type"], r.get("name")) for r in handoff]
            assert kinds == [
                ("message", None),
                ("message", None),
                ("command", "channel/vnd.microsoft.telephony.recording.start"),
                ("event", "handoff.initiate"),
            ]
            command, transfer = handoff[2], handoff[3]
            assert re.fullmatch(r"\+\d{8,15}", transfer["value"]["TargetPhoneNumber"])
            handoff_id = transfer["value"]["HandoffId"]
            assert transfer["attachments"][0]["content"]["handoffId"] == handoff_id
            assert await services.handoff.store.get(handoff_id) is not None

            result = telephony(conversation, type="commandResult", name=command["name"])
            result["value"] = {"commandId": command["value"]["commandId"], "data": None}
            answer, after_result = await client.send(result)
            assert answer["status"] == 200 and after_result == []  # acknowledged, nothing said

            answer, after_hang_up = await client.send(telephony(conversation, type="endOfConversation"))
            assert answer["status"] == 200 and texts(after_hang_up) == []

            # Replies travel as streaming requests to the channel's reply paths.
            paths = [r["path"] for r in client.received]
            assert all(p.startswith(f"v3/conversations/{conversation}/activities") for p in paths)

            # A second call on the same socket, whose transfer fails: the channel's handoff.status.
            other = "telephony-stream-call-2"
            await start_call(client, other)
            transfer = next(
                r for r in await say(client, other, "I'd like to talk to someone") if r["type"] == "event"
            )
            assert transfer["name"] == "handoff.initiate"
            failed = telephony(other, type="event", name="handoff.status")
            failed["value"] = {"state": "failed", "message": "The target did not answer"}
            answer, apology = await client.send(failed)
            assert answer["status"] == 200 and "call you back" in " ".join(texts(apology))

    record = await services.handoff.store.get_call(conversation)
    assert record is not None and record.outcome == "transferred"  # the hang-up ended the call record
    entries = [e for e in await services.audit.query("C1001") if e.conversation_id == conversation]
    read = {(e.intent, e.category.value, e.operation.value) for e in entries}
    assert ("CheckBalance", "accounts", "read") in read and (
        "IdentifyCaller",
        "authentication",
        "verify",
    ) in read
    turns = [
        s
        for s in spans.get_finished_spans()
        if s.name == "turn" and s.attributes.get("call_id") == conversation
    ]
    assert len(turns) >= 8  # greeting, request, four keys, handoff, hang-up: telemetry as over HTTP
    assert not reveals(json.dumps([e.to_dict() for e in entries]), "1234")


async def test_key_presses_sent_without_waiting_are_taken_one_turn_at_a_time(bot):
    """A keypad sends faster than the bot answers; the turn lock keeps every key of the PIN."""
    url, _ = bot
    conversation = "telephony-stream-fast-keys"
    async with node_streaming_client(url) as client:
        await start_call(client, conversation)
        await say(client, conversation, "what is my savings balance")
        answers = await asyncio.gather(*(client.send(key(conversation, digit)) for digit in "1234"))
        assert [answer["status"] for answer, _ in answers] == [200, 200, 200, 200]
        spoken = " ".join(text for _, replies in answers for text in texts(replies))
        assert "1,250 dollars and 40 cents" in spoken
        assert "PIN" not in spoken  # no key was lost, so no re-prompt


async def test_spanish_caller_over_the_socket_hears_spanish(bot):
    url, _ = bot
    conversation = "telephony-stream-es"
    async with node_streaming_client(url) as client:
        greeting = await start_call(client, conversation, caller="+5215555550101", locale="es-MX")
        assert texts(greeting)[0].startswith("Hola María")  # non-ASCII both ways through the socket
        replies = await say(
            client, conversation, "¿Cuál es el saldo de mi cuenta de ahorros?", locale="es-MX"
        )
        assert "NIP" in " ".join(texts(replies))
        assert "es-MX-DaliaNeural" in next(r for r in replies if r["type"] == "message")["speak"]


async def test_a_bad_request_inside_the_socket_gets_400_and_the_call_goes_on(bot):
    url, _ = bot
    conversation = "telephony-stream-bad-input"
    async with node_streaming_client(url) as client:
        await start_call(client, conversation)
        wrong_shape = telephony(conversation, type="message", entities={})
        # One socket is one channel: botbuilder's socket connector raises on a second serviceUrl.
        elsewhere = {**telephony(conversation, type="message", text="hello"), "serviceUrl": "urn:other"}
        for body in ([1, 2, 3], {"type": "message"}, wrong_shape, elsewhere):
            answer, replies = await client.send(body)
            assert answer["status"] == 400 and "error" in answer["body"] and replies == []
        assert "PIN" in " ".join(texts(await say(client, conversation, "what is my checking balance")))


async def test_under_overload_a_new_call_on_the_socket_is_shed_and_the_call_in_progress_goes_on(lagging_bot):
    in_progress, new = "telephony-stream-in-progress", "telephony-stream-new"
    async with node_streaming_client(lagging_bot) as client:
        await start_call(client, in_progress)
        asyncio.get_running_loop().call_soon(time.sleep, 1.5)  # CPU work on the bot's loop: 1.5 s of lag
        await asyncio.sleep(0.2)
        update = telephony(new, type="conversationUpdate", membersAdded=[{"id": CALLER_ID}])
        answer, replies = await client.send(update)
        # A streaming response has no headers: Retry-After travels in the body.
        assert answer["status"] == 503 and replies == []
        assert answer["body"]["retryAfterSeconds"] == 3 and "capacity" in answer["body"]["error"]
        assert "PIN" in " ".join(texts(await say(client, in_progress, "what is my checking balance")))
        await asyncio.sleep(1.5)  # past the lag window: the same call gets in, on the same socket
        assert texts(await start_call(client, new))[0].startswith("Hi Carlos")


async def test_cli_chat_streaming_talks_over_the_socket(bot):
    """`cli.py chat --streaming`: the Python botframework-streaming package on the channel side."""
    url, _ = bot
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "cli.py",
        "chat",
        "--streaming",
        "--url",
        url.replace("ws://", "http://"),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=str(PROJECT_ROOT),
    )
    out, err = await asyncio.wait_for(
        process.communicate(b"what's my savings balance\n#1234\nno thanks, goodbye\n"), timeout=120
    )
    transcript = out.decode()
    assert process.returncode == 0, err.decode()
    assert "over a streaming WebSocket" in transcript
    assert "bot> Hi Carlos" in transcript
    assert "1,250 dollars and 40 cents" in transcript
    assert "bot> [call ended]" in transcript
