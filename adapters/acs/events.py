"""POST /api/calls/events: Call Automation callbacks (CloudEvents) update the registry and the session."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from adapters.acs.incoming import check_secret, event_type, json_object, read_events
from adapters.acs.media_ws import REGISTRY_KEY
from adapters.acs.registry import CallRecord, CallState

log = logging.getLogger(__name__)

PREFIX = "Microsoft.Communication."


async def call_events(request: web.Request) -> web.Response:
    check_secret(request)
    registry = request.app[REGISTRY_KEY]
    for event in await read_events(request):
        if registry.seen_event(str(event.get("id", ""))):
            continue
        kind = event_type(event).removeprefix(PREFIX)
        data = json_object(event.get("data"))
        record = registry.by_connection(str(data.get("callConnectionId", "")))
        if record is None:
            log.info("event for an unknown call", extra={"event_type": kind})
            continue
        record.last_event = kind
        await apply_event(registry, record, kind, data)
    return web.json_response({})


def _result_message(data: dict[str, Any]) -> str:
    info = json_object(data.get("resultInformation"))
    code, sub = info.get("code", ""), info.get("subCode", "")
    return f"{info.get('message', 'no detail')} (code {code}/{sub})"


async def apply_event(registry: Any, record: CallRecord, kind: str, data: dict[str, Any]) -> None:
    session = record.session
    extra = {"call_id": record.call_id, "event_type": kind}
    if kind == "CallConnected":
        record.state = CallState.CONNECTED
    elif kind == "CallDisconnected":
        record.state = CallState.DISCONNECTED
        if session is not None:
            await session.end("caller_hangup")
        registry.remove(record.call_id)
    elif kind == "CallTransferAccepted":
        record.state = CallState.TRANSFERRED
        if session is not None:
            session.transfer_result("completed", "transfer accepted")
    elif kind == "CallTransferFailed":
        record.state = CallState.CONNECTED
        if session is not None:
            session.transfer_result("failed", _result_message(data))
    elif kind in ("PlayFailed", "RecognizeFailed", "MediaStreamingFailed"):
        log.error("call automation failure: %s", _result_message(data), extra=extra)
        return
    log.info("call event", extra=extra)
