"""Property-based bad input (hypothesis) on every HTTP and WebSocket endpoint: the bot app (/api/messages,
call webhooks, /ws/media, agent console, pages) and the demo CRM server. Each request gets a deliberate
4xx (or the 2xx the protocol prescribes for accept-and-ignore) or a clean WebSocket close: never a 5xx,
never a traceback in a response, never an exception logged on the server; afterwards a known caller is
still greeted by name."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import requests
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.acs.media_messages import MAX_MESSAGE_BYTES, audio_data_in, audio_metadata_in, dtmf_in
from adapters.acs.media_ws import ACS_CLIENT_KEY, ADAPTER_KEY, REGISTRY_KEY, WS_MAX_MSG_SIZE
from adapters.acs.registry import CallState
from adapters.app_keys import SERVICES_KEY
from adapters.emulator import EmulatorChannel, texts
from app import create_app
from services.crm.embedded_sqlite import EmbeddedSqliteCrm
from services.crm.server import create_crm_app
from services.voice.relay import RelaySpeechToText, RelayTextToSpeech
from tests.support.bot_harness import make_test_settings
from tests.support.fake_acs import FakeCallAutomationService
from tests.support.servers import serve_on_loopback

SECRET = "fuzz-webhook-secret"
CONSOLE_PASSWORD = "fuzz-console-password"
APP_ID = "00000000-0000-0000-0000-000000000001"
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
"""Media-socket cases (each opens a call)."""
FUZZ_HTTP = settings(FUZZ, max_examples=120)
"""Plain HTTP requests: a few milliseconds each, so many more examples."""
CLEAN_CLOSE = {1000, 1001, 1003, 1008, 1009}
"""normal, going away, unsupported data, policy (too many bad messages), message too big."""


@dataclass
class Server:
    """A real app on a loopback port, served from a background thread's event loop."""

    base: str
    app: web.Application
    loop: asyncio.AbstractEventLoop
    sink: str = ""
    """A connector endpoint that accepts every reply (the serviceUrl of fuzzed activities)."""
    acs: FakeCallAutomationService = field(default_factory=FakeCallAutomationService)

    def url(self, path: str) -> str:
        return self.base + path

    def ws_url(self, query: str) -> str:
        return self.base.replace("http://", "ws://") + "/ws/media?" + query

    def call(self, coro: Any) -> Any:
        """Run a coroutine on the server's loop (to read or set live state safely)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)


@contextmanager
def _background_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running in its own thread: the servers live there, hypothesis drives from here."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fuzz-server", daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def _connector_sink() -> web.Application:
    sink = web.Application()
    sink.router.add_post("/v3/conversations/{tail:.*}", lambda _: web.json_response({"id": "r"}))
    return sink


def _serve(settings_: Any, recognizer: Any) -> Iterator[Server]:
    acs = FakeCallAutomationService()

    async def build() -> web.Application:
        app = await create_app(settings_, recognizer)
        app[ACS_CLIENT_KEY] = acs.client()  # the real SDK client; only the network is faked
        # Deterministic speech: the fuzzing is of the socket protocol, not of recognition.
        app[SERVICES_KEY].stt = RelaySpeechToText("hello")
        app[SERVICES_KEY].tts = RelayTextToSpeech(first_frame_s=0.0, ms_per_char=1.0)
        return app

    with _background_loop() as loop:
        app = asyncio.run_coroutine_threadsafe(build(), loop).result(120)
        server = Server("", app, loop, acs=acs)
        runner, server.base = server.call(serve_on_loopback(app))
        sink_runner, server.sink = server.call(serve_on_loopback(_connector_sink()))
        try:
            yield server
        finally:
            server.call(runner.cleanup())
            server.call(sink_runner.cleanup())


def _settings(tmp_path_factory: pytest.TempPathFactory, knowledge_index_dir: Any, **extra: Any) -> Any:
    return make_test_settings(
        tmp_path_factory.mktemp("fuzz"),
        knowledge_index_dir,
        acs={"event_grid_secret": SECRET, "public_base_url": "https://bot.example.com"},
        handoff={"console_password": CONSOLE_PASSWORD},
        voice={"warm_up_speech": False, "gc_freeze_on_startup": False, "no_input_seconds": 30.0},
        **extra,
    )


class ExceptionLog(logging.Handler):
    """Keeps every log record that carries a traceback: an exception something did not handle."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[0] is not None:
            self.records.append(record)

    def summary(self) -> list[str]:
        """One line per exception: where it was logged, what it was, and the frame that raised it."""
        lines = []
        for record in self.records:
            assert record.exc_info is not None
            _, error, trace = record.exc_info
            last = traceback.extract_tb(trace)[-1] if trace else None
            where = f" at {last.filename}:{last.lineno}" if last else ""
            lines.append(f"{record.name}: {record.getMessage()} ({error!r}{where})")
        return lines


@pytest.fixture(scope="module", autouse=True)
def exceptions() -> Iterator[ExceptionLog]:
    """Installed before the servers start; the last test asserts nothing on the server raised."""
    handler = ExceptionLog()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


@pytest.fixture(scope="module")
def server(tmp_path_factory, knowledge_index_dir, trained_recognizer) -> Iterator[Server]:
    yield from _serve(_settings(tmp_path_factory, knowledge_index_dir), trained_recognizer)


@pytest.fixture(scope="module")
def authed_server(tmp_path_factory, knowledge_index_dir, trained_recognizer) -> Iterator[Server]:
    yield from _serve(_settings(tmp_path_factory, knowledge_index_dir, app_id=APP_ID), trained_recognizer)


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def assert_clean(response: requests.Response, allowed: set[int] | None = None) -> None:
    """A deliberate answer: no 5xx, no traceback, and (when given) one of the allowed statuses."""
    body = response.text
    assert response.status_code < 500, (response.status_code, body[:500])
    assert "Traceback" not in body and 'File "' not in body, body[:500]
    if allowed is not None:
        assert response.status_code in allowed, (response.status_code, body[:300])


def still_serving(server: Server) -> None:
    """A normal call over the Emulator protocol: Carlos is greeted by name."""

    async def greet() -> list[str]:
        async with EmulatorChannel(server.url("/api/messages")) as channel:
            _, greeting = await channel.start_call("+14255550100")
            return texts(greeting)

    spoken = asyncio.run(greet())
    assert spoken and spoken[0].startswith("Hi Carlos"), spoken


# ---- strategies -------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)
ACTIVITY_TYPES = [
    "message", "conversationUpdate", "event", "invoke", "endOfConversation", "typing", "trace",
    "handoff", "commandResult", "installationUpdate", "messageReaction", "deleteUserData", "banana", "",
]  # fmt: skip
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "",
]


@st.composite
def activities(draw: st.DrawFn, service_url: str) -> dict[str, Any]:
    """Activity-shaped objects: some fields right, some missing, some of the wrong type."""
    activity: dict[str, Any] = {
        "type": draw(st.sampled_from(ACTIVITY_TYPES) | json_values),
        "channelId": draw(st.sampled_from(["emulator", "msteams", "telephony", "acs"]) | json_values),
        "serviceUrl": service_url,
        "conversation": draw(st.fixed_dictionaries({"id": st.text(min_size=1, max_size=30)}) | json_values),
        "from": draw(st.fixed_dictionaries({"id": st.text(max_size=20)}) | json_values),
        "recipient": {"id": "contoso-voicebot"},
    }
    for name in draw(st.lists(st.sampled_from(sorted(activity)), max_size=3)):
        activity.pop(name, None)
    activity.update(
        draw(
            st.dictionaries(
                st.sampled_from(
                    ["text", "name", "value", "entities", "membersAdded", "locale", "attachments", "id"]
                ),
                json_values,
                max_size=4,
            )
        )
    )
    return activity


# ---- /api/messages ------------------------------------------------------------------------------------


@FUZZ_HTTP
@given(
    body=st.binary(max_size=3000) | json_values.map(lambda v: json.dumps(v).encode()),
    content_type=st.sampled_from(CONTENT_TYPES),
)
def test_messages_endpoint_refuses_random_bodies_with_a_4xx(server, http, body, content_type):
    response = http.post(server.url("/api/messages"), data=body, headers={"Content-Type": content_type})
    assert_clean(response)
    if content_type.split(";")[0] != "application/json":
        assert response.status_code == 415


@FUZZ_HTTP
@given(data=st.data())
def test_messages_endpoint_handles_random_activities(server, http, data):
    """Activity-shaped JSON (unknown types, missing fields, wrong types): 4xx, or processed quietly."""
    activity = data.draw(activities(server.sink))
    response = http.post(server.url("/api/messages"), json=activity, timeout=30)
    if activity.get("type") == "invoke" and response.status_code == 501:
        return  # the Bot Framework's own answer to an invoke no handler knows (ActivityHandler)
    assert_clean(response)


def test_messages_endpoint_still_serves_after_random_activities(server):
    still_serving(server)


@pytest.mark.parametrize("size", [300 * 1024, 4 * 1024 * 1024])
def test_oversized_activity_is_413(server, http, size):
    body = json.dumps({"type": "message", "text": "x" * size}).encode()
    assert_clean(
        http.post(server.url("/api/messages"), data=body, headers={"Content-Type": "application/json"}), {413}
    )


@FUZZ_HTTP
@given(
    headers=st.dictionaries(
        st.sampled_from(["Connection", "Upgrade", "Accept", "X-Foo"]),
        st.text("abcdefgh-", max_size=12),
        max_size=3,
    )
)
def test_get_messages_without_a_websocket_upgrade_is_400(server, http, headers):
    if headers.get("Upgrade", "").lower() == "websocket":
        headers.pop("Upgrade")
    assert_clean(http.get(server.url("/api/messages"), headers=headers), {400})


jwt_segments = st.binary(max_size=60).map(lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode())
tokens = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=80),
    st.tuples(jwt_segments, jwt_segments, jwt_segments).map(".".join),
    st.tuples(
        st.fixed_dictionaries(
            {
                "alg": st.sampled_from(["none", "HS256", "RS256"]),
                "typ": st.just("JWT"),
                "kid": st.text(max_size=8),
            }
        ),
        st.fixed_dictionaries(
            {
                "iss": st.sampled_from(["https://api.botframework.com", "https://evil.example"]),
                "aud": st.just(APP_ID),
                "exp": st.integers(0, 4_000_000_000),
            }
        ),
        jwt_segments,
    ).map(
        lambda parts: ".".join(
            [base64.urlsafe_b64encode(json.dumps(p).encode()).rstrip(b"=").decode() for p in parts[:2]]
            + [parts[2]]
        )
    ),
)


@FUZZ_HTTP
@given(token=tokens, scheme=st.sampled_from(["Bearer ", "bearer ", "Basic ", ""]), send=st.booleans())
def test_missing_or_forged_channel_tokens_are_401_when_an_app_id_is_set(
    authed_server, http, token, scheme, send
):
    activity = {
        "type": "message",
        "text": "what is my balance",
        "channelId": "msteams",
        "serviceUrl": authed_server.sink,
        "conversation": {"id": "forged"},
        "from": {"id": "+14255550100"},
        "recipient": {"id": APP_ID},
    }
    headers = {"Authorization": scheme + token} if send else {}
    response = http.post(authed_server.url("/api/messages"), json=activity, headers=headers, timeout=30)
    assert_clean(response, {401})


# ---- ACS webhooks ---------------------------------------------------------------------------------------

EVENT_TYPES = [
    "Microsoft.Communication.IncomingCall",
    "Microsoft.EventGrid.SubscriptionValidationEvent",
    "Microsoft.Communication.CallConnected",
    "Microsoft.Communication.CallDisconnected",
    "Microsoft.Communication.CallTransferFailed",
    "Microsoft.Communication.PlayFailed",
    "Something.Else",
]
events = st.fixed_dictionaries(
    {
        "id": st.text(max_size=10) | json_values,
        "eventType": st.sampled_from(EVENT_TYPES) | json_values,
        "data": json_values
        | st.fixed_dictionaries(
            {
                "incomingCallContext": st.text(max_size=20) | json_values,
                "from": json_values,
                "callConnectionId": st.sampled_from(["conn-1", "nope"]) | json_values,
                "validationCode": json_values,
                "resultInformation": json_values,
            }
        ),
    }
)


@FUZZ_HTTP
@given(
    path=st.sampled_from(["/api/calls/incoming", "/api/calls/events"]),
    body=st.binary(max_size=2000)
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.lists(events, max_size=4).map(lambda v: json.dumps(v).encode()),
    content_type=st.sampled_from(CONTENT_TYPES),
    auth=st.sampled_from(["header", "query", "wrong", "none"]),
)
def test_call_webhooks_answer_random_bodies_with_a_4xx_or_accept_and_ignore(
    server, http, path, body, content_type, auth
):
    headers = {"Content-Type": content_type}
    params = {}
    if auth == "header":
        headers["X-Contoso-Event-Secret"] = SECRET
    elif auth == "query":
        params["secret"] = SECRET
    elif auth == "wrong":
        params["secret"] = SECRET + "x"
    response = http.post(server.url(path), data=body, headers=headers, params=params, timeout=30)
    assert_clean(response)
    if auth in ("wrong", "none"):
        assert response.status_code == 401


def test_oversized_webhook_body_is_413(server, http):
    body = b"[" + b'{"id": "x"},' * 200_000 + b"{}]"
    response = http.post(server.url("/api/calls/incoming"), data=body, params={"secret": SECRET})
    assert_clean(response, {413})


@FUZZ
@given(event_id=st.text(min_size=1, max_size=20), repeats=st.integers(2, 4))
def test_replayed_incoming_call_is_answered_once(server, http, event_id, repeats):
    before = len(server.acs.answered)
    unique = f"{uuid.uuid4().hex[:8]}-{event_id}"  # hypothesis repeats ids across examples
    event = {
        "id": f"replay-{unique}",
        "eventType": "Microsoft.Communication.IncomingCall",
        "data": {
            "incomingCallContext": f"ctx-{unique}",
            "from": {"phoneNumber": {"value": "+14255550123"}},
            "serverCallId": "server-1",
        },
    }
    for _ in range(repeats):
        response = http.post(server.url("/api/calls/incoming"), json=[event], params={"secret": SECRET})
        assert_clean(response, {200})
    assert server.acs.answered[before:] == [f"ctx-{unique}"]


def test_replayed_call_event_is_not_applied_twice(server, http):
    answered = {
        "id": "replay-answer",
        "eventType": "Microsoft.Communication.IncomingCall",
        "data": {"incomingCallContext": "ctx-replayed-event", "from": {"rawId": "4:+14255550123"}},
    }
    assert_clean(
        http.post(server.url("/api/calls/incoming"), json=[answered], params={"secret": SECRET}), {200}
    )
    connection = f"conn-{len(server.acs.answered)}"
    record = server.app[REGISTRY_KEY].by_connection(connection)
    assert record is not None and record.state == CallState.ANSWERING
    connected = {
        "id": "evt-connected-1",
        "type": "Microsoft.Communication.CallConnected",
        "data": {"callConnectionId": connection},
    }
    url = server.url("/api/calls/events")
    assert_clean(http.post(url, json=[connected], params={"secret": SECRET}), {200})
    assert record.state == CallState.CONNECTED
    record.state = CallState.ANSWERING  # the replay must not bring it back to CONNECTED
    assert_clean(http.post(url, json=[connected], params={"secret": SECRET}), {200})
    assert record.state == CallState.ANSWERING
    server.app[REGISTRY_KEY].remove(record.call_id)


# ---- /ws/media ------------------------------------------------------------------------------------------

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
    """Every socket call has left the registry and the call adapter (answered phone calls may remain)."""

    def left() -> list[str]:
        calls = [r.call_id for r in server.app[REGISTRY_KEY].calls() if r.softphone or r.session]
        return calls + list(server.app[ADAPTER_KEY].sessions)

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


# ---- agent console, observability, pages ----------------------------------------------------------------


@FUZZ_HTTP
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    path=st.sampled_from(
        ["/agent", "/agent/login", "/agent/logout", "/agent/session", "/agent/handoffs", "/agent/events"]
    )
    | st.text(alphabet="abcdef0123456789-_.%", max_size=24).map(lambda s: f"/agent/handoffs/{s}")
    | st.text(alphabet="abcdef0123456789-_.%", max_size=24).map(lambda s: f"/agent/handoffs/{s}/pickup")
    | st.text(alphabet="abcdef/.%", max_size=24).map(lambda s: f"/agent/assets/{s}"),
    cookie=st.none()
    | st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=';,"\\'), max_size=60
    ),
    body=st.binary(max_size=500),
    content_type=st.sampled_from(CONTENT_TYPES),
)
def test_agent_console_answers_bad_requests_with_a_4xx(
    server, http, method, path, cookie, body, content_type
):
    cookies = {"agent_session": cookie} if cookie is not None else {}
    response = http.request(
        method,
        server.url(path),
        data=body,
        headers={"Content-Type": content_type, "X-Agent-Console": "1"},
        cookies=cookies,
        allow_redirects=False,
        timeout=30,
        stream=path.endswith("/events"),
    )
    if path.endswith("/events") and response.status_code == 200:
        pytest.fail("an event stream opened without a valid session")
    assert_clean(response)
    assert response.status_code < 400 or response.status_code in {400, 401, 403, 404, 405, 413, 415, 429}
    response.close()


@FUZZ_HTTP
@given(
    body=st.binary(max_size=400) | st.binary(max_size=200).map(lambda b: b"\xff" + b),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=latin-1",
            "multipart/form-data; boundary=x",
            "multipart/form-data",
        ]
    ),
)
def test_agent_sign_in_with_an_unreadable_form_is_refused(server, http, body, content_type):
    """400 for a form that cannot be read; a readable wrong one is a failed sign-in (redirect, or 429)."""
    response = http.post(
        server.url("/agent/login"),
        data=body,
        headers={"Content-Type": content_type, "X-Agent-Console": "1"},
        allow_redirects=False,
        timeout=30,
    )
    assert_clean(response, {302, 303, 400, 429})
    assert "agent_session" not in response.cookies


@FUZZ_HTTP
@given(
    method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"]),
    path=st.sampled_from(
        ["/metrics", "/readyz", "/healthz", "/softphone", "/dashboard", "/softphone/static/x"]
    ),
    query=st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=3),
    body=st.binary(max_size=300),
)
def test_observability_and_pages_answer_any_method(server, http, method, path, query, body):
    response = http.request(
        method, server.url(path), params=query, data=body, allow_redirects=False, timeout=30
    )
    assert_clean(response)
    if method in ("GET", "HEAD") and not path.endswith("/x"):
        assert response.status_code == 200
    elif method not in ("GET", "HEAD"):
        assert response.status_code == 405


# ---- demo CRM REST server (python -m services.crm.server) ---------------------------------------------

CRM_KEY = "fuzz-crm-subscription-key"


@pytest.fixture(scope="module")
def crm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with _background_loop() as loop:
        crm = EmbeddedSqliteCrm(tmp_path_factory.mktemp("crm") / "crm.sqlite3")
        server = Server("", create_crm_app(crm, CRM_KEY), loop)
        runner, server.base = server.call(serve_on_loopback(server.app))
        try:
            yield server
        finally:
            server.call(runner.cleanup())


CUSTOMER_PATHS = ["", "/pin-verifications", "/accounts", "/cards", "/card-statement", "/tickets"]
crm_paths = st.one_of(
    st.sampled_from(["/health", "/customers", "/"]),
    st.tuples(
        st.sampled_from(["C1001", "C1002", "c1001", "nope"]) | st.text("abcXYZ019-%._~", max_size=16),
        st.sampled_from(CUSTOMER_PATHS)
        | st.sampled_from(["checking", "savings", "credit_card", "x"]).map(
            lambda t: f"/accounts/{t}/transactions"
        )
        | st.sampled_from(["credit", "debit", "gold", ""]).map(lambda t: f"/cards/{t}/block"),
    ).map(lambda parts: f"/customers/{parts[0]}{parts[1]}"),
)


@FUZZ_HTTP
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    path=crm_paths,
    query=st.dictionaries(
        st.sampled_from(["phone", "limit", "status", "x"]), st.text(max_size=16), max_size=3
    ),
    body=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()),
    key=st.sampled_from([CRM_KEY, CRM_KEY + "x", "", None]),
    idempotency=st.none() | st.text("abc123", max_size=8),
)
def test_crm_server_answers_bad_requests_with_a_4xx(
    crm_server, http, method, path, query, body, key, idempotency
):
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Ocp-Apim-Subscription-Key"] = key
    if idempotency:
        headers["Idempotency-Key"] = idempotency
    response = http.request(
        method, crm_server.url(path), params=query, data=body, headers=headers, timeout=30
    )
    assert_clean(response)
    if key != CRM_KEY and path != "/health":
        assert response.status_code == 401


@FUZZ_HTTP
@given(
    body=st.binary(max_size=300)
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.fixed_dictionaries({"pin": json_values | st.text("0123456789", max_size=10)}).map(
        lambda v: json.dumps(v).encode()
    ),
    customer=st.sampled_from(["C1001", "C1002", "nope"]),
)
def test_crm_pin_verification_reads_any_body_without_a_5xx(crm_server, http, body, customer):
    response = http.post(
        crm_server.url(f"/customers/{customer}/pin-verifications"),
        data=body,
        headers={"Content-Type": "application/json", "Ocp-Apim-Subscription-Key": CRM_KEY},
        timeout=30,
    )
    assert_clean(response, {200, 400, 404, 429})
    if response.status_code == 200:
        right_pin = {"C1001": b'{"pin": "1234"}', "C1002": b'{"pin": "4321"}'}.get(customer)
        assert response.json() == {"verified": body == right_pin}


def test_crm_server_still_serves_after_bad_requests(crm_server, http):
    headers = {"Ocp-Apim-Subscription-Key": CRM_KEY}
    found = http.get(crm_server.url("/customers"), params={"phone": "+14255550100"}, headers=headers)
    assert found.status_code == 200 and found.json()["items"][0]["firstName"] == "Carlos"


def test_server_still_answers_a_normal_call_after_everything(
    server, authed_server, crm_server, http, exceptions
):
    still_serving(server)
    assert http.get(server.url("/readyz")).json()["ready"] is True
    assert exceptions.summary() == []
