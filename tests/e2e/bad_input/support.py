"""Shared pieces of the bad-input suite: the servers in a background loop, what counts as a clean answer,
JSON strategies."""

from __future__ import annotations

import asyncio
import logging
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from aiohttp import web
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from adapters.acs.media_ws import ACS_CLIENT_KEY
from adapters.app_keys import SERVICES_KEY
from adapters.emulator import EmulatorChannel, texts
from app import create_app
from tests.support.acs_callbacks import AcsOpenIdServer, acs_settings
from tests.support.bot_harness import make_test_settings
from tests.support.fake_acs import FakeCallAutomationService
from tests.support.servers import serve_on_loopback
from tests.support.voice_relay import RelaySpeechToText, RelayTextToSpeech

SECRET = "fuzz-webhook-secret"
CONSOLE_PASSWORD = "fuzz-console-password"
APP_ID = "00000000-0000-0000-0000-000000000001"
FUZZ = settings(
    max_examples=40,
    deadline=None,
    # function_scoped_fixture: the per-test exception check is meant to span all of a test's examples.
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
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
def background_loop() -> Iterator[asyncio.AbstractEventLoop]:
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


def serve_bot(settings_: Any, recognizer: Any) -> Iterator[Server]:
    acs = FakeCallAutomationService()

    async def build() -> web.Application:
        app = await create_app(settings_, recognizer)
        app[ACS_CLIENT_KEY] = acs.client()  # the real SDK client; only the network is faked
        # Deterministic speech: the fuzzing is of the socket protocol, not of recognition.
        app[SERVICES_KEY].stt = RelaySpeechToText("hello")
        app[SERVICES_KEY].tts = RelayTextToSpeech(first_frame_s=0.0, ms_per_char=1.0)
        return app

    with background_loop() as loop:
        app = asyncio.run_coroutine_threadsafe(build(), loop).result(120)
        server = Server("", app, loop, acs=acs)
        runner, server.base = server.call(serve_on_loopback(app))
        sink_runner, server.sink = server.call(serve_on_loopback(_connector_sink()))
        try:
            yield server
        finally:
            server.call(runner.cleanup())
            server.call(sink_runner.cleanup())


def fuzz_settings(
    tmp_path_factory: pytest.TempPathFactory,
    knowledge_index_dir: Any,
    openid: AcsOpenIdServer | None = None,
    **extra: Any,
) -> Any:
    """``openid``: the ACS metadata server the bot verifies Call Automation callbacks against."""
    acs = {"event_grid_secret": SECRET, "public_base_url": "https://bot.example.com"}
    return make_test_settings(
        tmp_path_factory.mktemp("fuzz"),
        knowledge_index_dir,
        acs=acs_settings(openid, **acs) if openid is not None else acs,
        handoff={"console_password": CONSOLE_PASSWORD},
        # The package's one server answers many calls whose media never connects: not a capacity test.
        voice={
            "warm_up_speech": False,
            "gc_freeze_on_startup": False,
            "no_input_seconds": 30.0,
            "max_calls": 200,
        },
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
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "",
]
