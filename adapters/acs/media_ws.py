"""GET /ws/media: the ACS media-streaming WebSocket (and the softphone/simulator speaking the same JSON)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import WSCloseCode, WSMsgType, web

from adapters.acs.busy_line import play_busy_and_close
from adapters.acs.call_adapter import CallAdapter
from adapters.acs.call_bridge import CallBridge, say_again_prompt
from adapters.acs.call_control import AcsCallControl, CallControl, CallControlError, SocketCallControl
from adapters.acs.media_messages import (
    MAX_MESSAGE_BYTES,
    AudioDataMessage,
    AudioMetadataMessage,
    DtmfDataMessage,
    MediaMessageError,
    UnknownKind,
    audio_data_out,
    parse_inbound,
    stop_audio_out,
)
from adapters.acs.registry import CallRecord, CallRegistry
from adapters.app_keys import SERVICES_KEY
from config import Settings
from core.observability.metrics import VoicebotMetrics
from core.observability.stages import record_finished_stage
from recognizers.base import CallerRecognizer
from services.speech.base import SAMPLE_RATE, SpeechToText, TextToSpeech
from voice.call import VoiceEngines, build_call
from voice.dtmf import normalise_digit
from voice.frames import TurnTiming
from voice.pipeline import CallPipeline
from voice.settings import softphone_on, voice_settings_from
from voice.turn_completion import request_judge

log = logging.getLogger(__name__)

MAX_BAD_MESSAGES = 50
"""Malformed messages tolerated on one socket before it is closed as broken."""
WS_MAX_MSG_SIZE = 4 * MAX_MESSAGE_BYTES
"""aiohttp closes (1009) above this; between MAX_MESSAGE_BYTES and this a message is logged and skipped."""
DEFAULT_SOFTPHONE_CALLER = "+14255550100"

REGISTRY_KEY = web.AppKey("call_registry", CallRegistry)
ADAPTER_KEY = web.AppKey("call_adapter", CallAdapter)
ACS_CLIENT_KEY = web.AppKey("acs_client", object)
"""The async CallAutomationClient (None when ACS is not configured: softphone only)."""


class WsSink:
    """The pipeline's output on one socket; side events only for softphone/simulator clients."""

    def __init__(self, ws: web.WebSocketResponse, side_events: bool) -> None:
        self.ws = ws
        self.side_events = side_events

    async def _send(self, text: str) -> None:
        if self.ws.closed:
            return
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self.ws.send_str(text)

    async def send_audio(self, pcm: bytes) -> None:
        await self._send(audio_data_out(pcm))

    async def stop_audio(self) -> None:
        await self._send(stop_audio_out())

    async def send_event(self, kind: str, body: dict[str, Any]) -> None:
        if self.side_events:
            await self._send(json.dumps({"kind": kind, **body}))


def normalise_caller(raw: str) -> str:
    """E.164 from ``+1425…``, ``4:+1425…`` (ACS raw id) or digits; empty when not a number."""
    value = raw.strip().removeprefix("4:").replace(" ", "").replace("-", "")
    if value and not value.startswith("+"):
        value = "+" + value
    return value if re.fullmatch(r"\+[1-9]\d{6,14}", value) else ""


STAGE_OF_TIMING = (
    ("endpointing", "endpointing_ms"),
    ("stt", "stt_ms"),
    ("tts", "tts_first_frame_ms"),
    ("voice_to_voice", "voice_to_voice_ms"),
)
"""Metrics stage <- TurnTiming field; the bot's own time is the ``turn`` stage, timed around the turn."""


class CallServices(Protocol):
    """What a call takes from the app's services (app.Services; the voice tests' smaller harness)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def bot(self) -> Any: ...

    @property
    def stt(self) -> SpeechToText | None: ...

    @property
    def recognizer(self) -> CallerRecognizer | None: ...

    @property
    def tts(self) -> TextToSpeech | None: ...

    @property
    def metrics(self) -> VoicebotMetrics | None: ...


def _stage_latencies(metrics: VoicebotMetrics | None, call_id: str) -> Callable[[TurnTiming], None] | None:
    """Report each turn's parts (endpointing, STT, TTS first frame) and the whole the caller waits (end of
    speech -> first reply frame, ``voice_to_voice``) to the app's metrics (dashboard, telemetry)."""
    if metrics is None:
        return None

    def record(timing: TurnTiming) -> None:
        split = timing.as_ms()
        for stage, key in STAGE_OF_TIMING:
            if split[key] >= 0:
                record_finished_stage(metrics, stage, split[key], call_id=call_id)

    return record


def services_of(app: web.Application) -> Any:
    """The app's services (app.py stores them under ``SERVICES_KEY``)."""
    return app[SERVICES_KEY]


async def media_ws(request: web.Request) -> web.StreamResponse:
    app = request.app
    registry = app[REGISTRY_KEY]
    services: CallServices = services_of(app)
    settings = services.settings
    softphone = request.query.get("softphone") == "1"
    voice = voice_settings_from(settings)
    if softphone and not softphone_on(settings):
        raise web.HTTPForbidden(text="softphone disabled")
    locale = request.query.get("lang") or settings.default_locale
    if locale not in settings.supported_locales:
        locale = settings.default_locale
    # Softphones have their own cap and never take a phone call's place (a phone call is registered
    # when answered, so its own socket is not counted twice).
    if softphone and registry.softphone_calls() >= voice.max_softphone_calls:
        log.error(
            "softphone refused: %d softphone calls already on this instance", registry.softphone_calls()
        )
        return await _refuse_busy(request, services, locale, "too many softphone calls")
    record: CallRecord | None
    if softphone:
        caller = normalise_caller(request.query.get("from", "")) or DEFAULT_SOFTPHONE_CALLER
        record = CallRecord(call_id=f"softphone-{uuid.uuid4()}", caller=caller, softphone=True)
        registry.add(record)
    else:
        # The per-call token is the only way in: no header (x-ms-call-connection-id) or first-come fallback.
        record = registry.by_token(request.query.get("call", ""))
        if record is None or registry.bridge(record.call_id) is not None:
            log.warning("media socket for an unknown call refused")
            raise web.HTTPUnauthorized(text="unknown call")
        if registry.phone_calls() > voice.max_calls:  # answered in a race past the cap: busy, hang up
            log.error("call refused: %d calls already on this instance", registry.phone_calls())
            registry.remove(record.call_id)
            hang_up = AcsCallControl(app[ACS_CLIENT_KEY], record.connection_id).hang_up
            return await _refuse_busy(request, services, locale, "too many calls", hang_up)

    ws = web.WebSocketResponse(max_msg_size=WS_MAX_MSG_SIZE, heartbeat=30.0)
    await ws.prepare(request)
    sink = WsSink(ws, side_events=softphone)

    control: CallControl
    if softphone:

        async def close_socket() -> None:
            await ws.close()

        control = SocketCallControl(close_socket, sink.send_event)
    else:
        control = AcsCallControl(app[ACS_CLIENT_KEY], record.connection_id)
    session = CallBridge(record, app[ADAPTER_KEY], services.bot, control, locale)
    pipeline = build_call(
        VoiceEngines(services.stt, services.tts, voice, say_again_prompt(getattr(services, "replies", None))),
        sink,
        session,
        call_id=record.call_id,
        locale=locale,
        locale_known=bool(request.query.get("lang")) or len(settings.supported_locales) < 2,
        turn_completion=request_judge(services.recognizer, settings.routing.high_threshold),
        on_turn_timing=_stage_latencies(services.metrics, record.call_id),
    )
    session.attach(pipeline)
    registry.attach(record, session)
    pipeline.start()
    pipeline.run_turn(session.start_call)
    log.info("media connected", extra={"call_id": record.call_id, "softphone": softphone})
    try:
        await _read_loop(ws, pipeline, record)
    finally:
        # aiohttp cancels this handler when the peer disconnects: finish the clean-up in its own task.
        cleanup = asyncio.create_task(_end_call(ws, registry, record))
        await asyncio.shield(cleanup)
    return ws


async def _refuse_busy(
    request: web.Request,
    services: CallServices,
    locale: str,
    reason: str,
    hang_up: Callable[[], Awaitable[None]] | None = None,
) -> web.StreamResponse:
    """The busy message, then the call ends (a bare 503 when the app has no prompts: the test harness)."""
    replies = getattr(services, "replies", None)
    if replies is None:
        raise web.HTTPServiceUnavailable(text=reason)
    softphone = request.query.get("softphone") == "1"
    ws = await play_busy_and_close(request, services.tts, replies, locale, side_events=softphone)
    if hang_up is not None:
        try:
            await hang_up()
        except CallControlError as exc:
            log.error("hang-up after the busy message failed: %s", exc)
    return ws


async def _end_call(ws: web.WebSocketResponse, registry: CallRegistry, record: CallRecord) -> None:
    try:
        await registry.end(record.call_id, "caller_hangup")
    finally:
        if not ws.closed:
            await ws.close()


async def _read_loop(ws: web.WebSocketResponse, pipeline: CallPipeline, record: CallRecord) -> None:
    bad = 0
    unknown_kinds: set[str] = set()
    async for msg in ws:
        if pipeline.closed:  # the call ended elsewhere (CallDisconnected, the bot hung up): stop listening
            await ws.close()
            return
        if msg.type == WSMsgType.ERROR:
            log.error(
                "media socket error: %s", type(ws.exception()).__name__, extra={"call_id": record.call_id}
            )
            return
        if msg.type != WSMsgType.TEXT:
            bad += 1
            log.error("binary media message ignored (JSON text expected)", extra={"call_id": record.call_id})
        else:
            try:
                message = parse_inbound(msg.data)
            except UnknownKind as exc:
                if str(exc) not in unknown_kinds:
                    unknown_kinds.add(str(exc))
                    log.warning("media message skipped: %s", exc, extra={"call_id": record.call_id})
                continue
            except MediaMessageError as exc:
                bad += 1
                log.error("bad media message: %s", exc, extra={"call_id": record.call_id})
            else:
                if not await _handle(ws, pipeline, record, message):
                    return
        if bad > MAX_BAD_MESSAGES:
            log.error("too many bad media messages: closing", extra={"call_id": record.call_id})
            await ws.close(code=WSCloseCode.UNSUPPORTED_DATA, message=b"too many malformed messages")
            return


async def _handle(
    ws: web.WebSocketResponse, pipeline: CallPipeline, record: CallRecord, message: Any
) -> bool:
    """Apply one parsed message; False when the socket must close."""
    if isinstance(message, AudioDataMessage):
        try:
            pcm = message.audio_data.pcm()
        except MediaMessageError as exc:
            log.error("bad media message: %s", exc, extra={"call_id": record.call_id})
            return True
        pipeline.push_audio(pcm)
    elif isinstance(message, DtmfDataMessage):
        digit = normalise_digit(message.dtmf_data.data)
        if digit is None:
            log.error("bad DTMF tone ignored", extra={"call_id": record.call_id})
        else:
            pipeline.push_dtmf(digit)
    elif isinstance(message, AudioMetadataMessage):
        meta = message.audio_metadata
        if meta.sample_rate != SAMPLE_RATE or meta.channels != 1 or meta.encoding.upper() != "PCM":
            log.error(
                "unsupported media format %s/%d Hz/%d ch; expected PCM/16000 Hz/1 ch (pcm16KMono): closing",
                meta.encoding,
                meta.sample_rate,
                meta.channels,
                extra={"call_id": record.call_id},
            )
            await ws.close(code=WSCloseCode.UNSUPPORTED_DATA, message=b"unsupported audio format")
            return False
    return True


async def close_all_calls(app: web.Application) -> None:
    """On shutdown: end every live call."""
    registry = app[REGISTRY_KEY]
    calls = [bridge.call_id for bridge in registry.bridges()]
    if calls:
        await asyncio.gather(*(registry.end(c, "server_shutdown") for c in calls), return_exceptions=True)
