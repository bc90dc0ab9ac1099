"""POST /api/calls/events: Call Automation callbacks (CloudEvents), authenticated by ACS's JWT and bound to
their call by the per-call token in the callback URL, update the registry and the call's bridge."""

from __future__ import annotations

import hmac
import logging
from typing import Any

from aiohttp import web

from adapters.acs.callback_auth import CALLBACK_AUTH_KEY, CallbackAuthError, CallbackAuthUnavailable
from adapters.acs.incoming import CALL_QUERY, event_type, json_object, read_events
from adapters.acs.media_ws import REGISTRY_KEY
from adapters.acs.registry import CallRecord, CallRegistry, CallState

log = logging.getLogger(__name__)

PREFIX = "Microsoft.Communication."


async def authenticate(request: web.Request) -> None:
    """401 unless the request carries a valid Call Automation JWT for this ACS resource."""
    try:
        await request.app[CALLBACK_AUTH_KEY].verify(request.headers.get("Authorization", ""))
    except CallbackAuthUnavailable as exc:
        log.error("call callback refused: %s", exc)
        raise web.HTTPUnauthorized(text="callback authentication unavailable") from exc
    except CallbackAuthError as exc:
        log.warning("call callback refused: %s", exc)
        raise web.HTTPUnauthorized(text="invalid callback token") from exc


def _bound_to_this_call(record: CallRecord, given: str) -> bool:
    return bool(record.callback_token) and hmac.compare_digest(record.callback_token.encode(), given.encode())


async def call_events(request: web.Request) -> web.Response:
    await authenticate(request)
    registry = request.app[REGISTRY_KEY]
    given = request.query.get(CALL_QUERY, "")
    checked: list[tuple[dict[str, Any], CallRecord, str, dict[str, Any]]] = []
    for event in await read_events(request):
        kind = event_type(event).removeprefix(PREFIX)
        data = json_object(event.get("data"))
        record = registry.by_connection(str(data.get("callConnectionId", "")))
        if record is None:
            log.info("event for an unknown call", extra={"event_type": kind})
            continue
        if not _bound_to_this_call(record, given):
            # Injected, or replayed from another call's callback URL: nothing in the request is applied.
            log.warning("call event not bound to its call refused", extra={"call_id": record.call_id})
            raise web.HTTPUnauthorized(text="event does not belong to this callback")
        checked.append((event, record, kind, data))
    for event, record, kind, data in checked:
        if registry.seen_event(str(event.get("id", ""))):
            continue
        record.last_event = kind
        await apply_event(registry, record, kind, data)
    return web.json_response({})


def _result_message(data: dict[str, Any]) -> str:
    info = json_object(data.get("resultInformation"))
    code, sub = info.get("code", ""), info.get("subCode", "")
    return f"{info.get('message', 'no detail')} (code {code}/{sub})"


async def apply_event(registry: CallRegistry, record: CallRecord, kind: str, data: dict[str, Any]) -> None:
    bridge = registry.bridge(record.call_id)
    extra = {"call_id": record.call_id, "event_type": kind}
    if kind == "CallConnected":
        record.state = CallState.CONNECTED
    elif kind == "CallDisconnected":
        record.state = CallState.DISCONNECTED
        await registry.end(record.call_id, "caller_hangup")
    elif kind == "CallTransferAccepted":
        record.state = CallState.TRANSFERRED
        if bridge is not None:
            bridge.transfer_result("completed", "transfer accepted")
    elif kind == "CallTransferFailed":
        record.state = CallState.CONNECTED
        if bridge is not None:
            bridge.transfer_result("failed", _result_message(data))
    elif kind in ("PlayFailed", "RecognizeFailed", "MediaStreamingFailed"):
        log.error("call automation failure: %s", _result_message(data), extra=extra)
        return
    log.info("call event", extra=extra)
