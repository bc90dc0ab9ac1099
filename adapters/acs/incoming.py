"""POST /api/calls/incoming: Event Grid webhook (validation handshake, IncomingCall -> answer with media)."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from aiohttp import web

from adapters.acs.media_ws import ACS_CLIENT_KEY, REGISTRY_KEY, normalise_caller, services_of
from adapters.acs.registry import CallRecord
from adapters.app_keys import ADMISSION_KEY
from voice.settings import voice_settings_from

log = logging.getLogger(__name__)

SECRET_QUERY = "secret"
CALL_QUERY = "call"
"""The per-call token's query parameter on the callback and media URLs."""
SECRET_HEADER = "X-Contoso-Event-Secret"
VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent"
INCOMING_CALL_EVENT = "Microsoft.Communication.IncomingCall"
RECORDING_FILE_EVENT = "Microsoft.Communication.RecordingFileStatusUpdated"
ANSWER_TIMEOUT_SECONDS = 10.0
MAX_EVENTS_BODY = 1024 * 1024


def check_secret(request: web.Request) -> None:
    """401 unless the request carries the configured shared secret (query ``secret`` or header)."""
    expected = services_of(request.app).settings.acs.event_grid_secret.get_secret_value()
    given: str = request.query.get(SECRET_QUERY) or request.headers.get(SECRET_HEADER) or ""
    if not expected:
        log.error("ACS__EVENT_GRID_SECRET is not set: refusing call webhooks")
        raise web.HTTPUnauthorized(text="webhook secret not configured")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        log.warning("call webhook with a wrong or missing secret refused")
        raise web.HTTPUnauthorized(text="bad secret")


async def read_events(request: web.Request) -> list[dict[str, Any]]:
    """The JSON array (or single object) of Event Grid / CloudEvents events; 400 when it is not one."""
    if request.content_length is not None and request.content_length > MAX_EVENTS_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_EVENTS_BODY, actual_size=request.content_length)
    try:
        body = json.loads(await request.text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise web.HTTPBadRequest(text="body is not JSON") from exc
    events = body if isinstance(body, list) else [body]
    if not all(isinstance(e, dict) for e in events):
        raise web.HTTPBadRequest(text="events must be JSON objects")
    if not all(isinstance(e.get("data"), dict | None) for e in events):
        raise web.HTTPBadRequest(text="event data must be a JSON object")
    return events


def json_object(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else empty: nested event fields are read defensively."""
    return value if isinstance(value, dict) else {}


def event_type(event: dict[str, Any]) -> str:
    """Event Grid schema has ``eventType``, CloudEvents has ``type``."""
    return str(event.get("eventType") or event.get("type") or "")


def public_urls(base_url: str, callback_token: str, media_token: str) -> tuple[str, str]:
    """(callback URL for this call's Call Automation events, wss:// media URL for this call), each carrying
    its own per-call token; the shared Event Grid secret is never handed to Call Automation."""
    parts = urlsplit(base_url.rstrip("/"))
    callback = urlunsplit(
        (parts.scheme, parts.netloc, f"{parts.path}/api/calls/events", f"{CALL_QUERY}={callback_token}", "")
    )
    ws_scheme = "wss" if parts.scheme == "https" else "ws"
    media = urlunsplit((ws_scheme, parts.netloc, f"{parts.path}/ws/media", f"{CALL_QUERY}={media_token}", ""))
    return callback, media


def media_streaming_options(transport_url: str) -> Any:
    from azure.communication.callautomation import (
        AudioFormat,
        MediaStreamingAudioChannelType,
        MediaStreamingContentType,
        MediaStreamingOptions,
        StreamingTransportType,
    )

    return MediaStreamingOptions(
        transport_url=transport_url,
        transport_type=StreamingTransportType.WEBSOCKET,
        content_type=MediaStreamingContentType.AUDIO,
        audio_channel_type=MediaStreamingAudioChannelType.MIXED,
        start_media_streaming=True,
        enable_bidirectional=True,
        audio_format=AudioFormat.PCM16_K_MONO,
        enable_dtmf_tones=True,
    )


async def incoming_call(request: web.Request) -> web.Response:
    check_secret(request)
    registry = request.app[REGISTRY_KEY]
    settings = services_of(request.app).settings
    for event in await read_events(request):
        kind = event_type(event)
        data = json_object(event.get("data"))
        if kind == VALIDATION_EVENT:
            code = data.get("validationCode")
            if not isinstance(code, str) or not code:
                raise web.HTTPBadRequest(text="validation event without a validationCode")
            log.info("Event Grid subscription validated")
            return web.json_response({"validationResponse": code})
        if registry.seen_event(str(event.get("id", ""))):
            log.info("replayed event ignored", extra={"event_type": kind})
            continue
        if kind == RECORDING_FILE_EVENT:
            _recording_file(request.app, event, data)
            continue
        if kind != INCOMING_CALL_EVENT:
            log.info("event ignored", extra={"event_type": kind})
            continue
        await _answer(request.app, registry, settings, data)
    return web.json_response({})


def _recording_file(app: web.Application, event: dict[str, Any], data: dict[str, Any]) -> None:
    """The call's recording is stored: subject ``/recording/call/{call id}/serverCallId/{server call id}``,
    the audio at ``recordingStorageInfo.recordingChunks[0].contentLocation``."""
    subject = str(event.get("subject") or "")
    server_call_id = subject.split("/serverCallId/", 1)[1] if "/serverCallId/" in subject else ""
    chunks = json_object(data.get("recordingStorageInfo")).get("recordingChunks")
    first = json_object(chunks[0]) if isinstance(chunks, list) and chunks else {}
    location = first.get("contentLocation")
    if not server_call_id or not isinstance(location, str) or not location:
        log.warning("RecordingFileStatusUpdated without a server call id or content location ignored")
        return
    services_of(app).handoff.recording_file_ready(server_call_id, location)


async def _answer(app: web.Application, registry: Any, settings: Any, data: dict[str, Any]) -> None:
    context = data.get("incomingCallContext")
    if not isinstance(context, str) or not context:
        log.error("IncomingCall without incomingCallContext ignored")
        return
    client: Any = app.get(ACS_CLIENT_KEY)
    if client is None:
        log.error("IncomingCall but ACS__CONNECTION_STRING is not set: call not answered")
        return
    if registry.phone_calls() >= voice_settings_from(settings).max_calls:  # softphones never count
        await _reject_busy(client, context, registry.phone_calls())
        return
    admission = app.get(ADMISSION_KEY)
    if admission is not None and not admission.admit_new_call().admitted:
        await _reject_busy(client, context, registry.phone_calls())  # overloaded: calls in progress first
        return
    source = json_object(data.get("from"))
    caller = normalise_caller(
        str(json_object(source.get("phoneNumber")).get("value") or source.get("rawId") or "")
    )
    record = CallRecord(
        call_id=f"acs-{uuid.uuid4().hex[:12]}",  # logged everywhere: shares nothing with the tokens
        caller=caller or "anonymous",
        media_token=secrets.token_urlsafe(32),
        callback_token=secrets.token_urlsafe(32),
        server_call_id=str(data.get("serverCallId", "")),
        correlation_id=str(data.get("correlationId", "")),
    )
    callback, media_url = public_urls(settings.acs.public_base_url, record.callback_token, record.media_token)
    registry.add(record)
    from azure.core.exceptions import AzureError

    try:
        async with asyncio.timeout(ANSWER_TIMEOUT_SECONDS):
            result = await client.answer_call(
                incoming_call_context=context,
                callback_url=callback,
                media_streaming=media_streaming_options(media_url),
                operation_context=record.call_id,
            )
    except (AzureError, TimeoutError) as exc:
        registry.remove(record.call_id)
        log.error("answer_call failed: %s", type(exc).__name__, extra={"call_id": record.call_id})
        return
    registry.bind_connection(record, result.call_connection_id)
    log.info("call answered", extra={"call_id": record.call_id})


async def _reject_busy(client: Any, context: str, calls: int) -> None:
    """At capacity: a busy reject (the carrier plays busy or routes on) rather than answered silence."""
    from azure.communication.callautomation import CallRejectReason
    from azure.core.exceptions import AzureError

    log.error("incoming call rejected as busy: %d calls already on this instance", calls)
    try:
        async with asyncio.timeout(ANSWER_TIMEOUT_SECONDS):
            await client.reject_call(context, call_reject_reason=CallRejectReason.BUSY)
    except (AzureError, TimeoutError) as exc:
        log.error("reject_call failed: %s", type(exc).__name__)
