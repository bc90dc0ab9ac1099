"""The one owner of live calls: their records (by id, media token and ACS call connection id) and their
bridges to the bot, plus the replay guard for webhook event ids."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.acs.call_bridge import CallBridge


class CallState(str, Enum):
    ANSWERING = "answering"
    CONNECTED = "connected"
    TRANSFERRING = "transferring"
    TRANSFERRED = "transferred"
    DISCONNECTED = "disconnected"


@dataclass
class CallRecord:
    """What the server knows about one call; ``call_id`` is the conversation id."""

    call_id: str
    caller: str
    media_token: str = ""
    """The secret in this call's media WebSocket URL (``/ws/media?call=…``)."""
    callback_token: str = ""
    """The secret in this call's Call Automation callback URL (``/api/calls/events?call=…``)."""
    connection_id: str = ""
    server_call_id: str = ""
    correlation_id: str = ""
    state: CallState = CallState.ANSWERING
    softphone: bool = False
    last_event: str = ""
    created_at: float = field(default_factory=time.monotonic)
    extra: dict[str, Any] = field(default_factory=dict)


def _token_key(token: str) -> str:
    """Calls are found by a digest of their token, so the lookup's timing says nothing about the token."""
    return hashlib.sha256(token.encode()).hexdigest()


class CallRegistry:
    """Calls are added when answered (or when a softphone connects), get their bridge when the media socket
    connects, and leave through ``end`` or ``remove`` only; everything else asks here."""

    def __init__(self, max_seen_events: int = 20_000) -> None:
        self._calls: dict[str, CallRecord] = {}
        self._bridges: dict[str, CallBridge] = {}
        self._by_token: dict[str, str] = {}
        self._by_connection: dict[str, str] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._max_seen = max_seen_events

    def add(self, record: CallRecord) -> None:
        self._calls[record.call_id] = record
        if record.media_token:
            self._by_token[_token_key(record.media_token)] = record.call_id
        if record.connection_id:
            self._by_connection[record.connection_id] = record.call_id

    def bind_connection(self, record: CallRecord, connection_id: str) -> None:
        record.connection_id = connection_id
        self._by_connection[connection_id] = record.call_id

    def get(self, call_id: str) -> CallRecord | None:
        return self._calls.get(call_id)

    def by_token(self, token: str) -> CallRecord | None:
        call_id = self._by_token.get(_token_key(token)) if token else None
        return self._calls.get(call_id) if call_id else None

    def by_connection(self, connection_id: str) -> CallRecord | None:
        call_id = self._by_connection.get(connection_id)
        return self._calls.get(call_id) if call_id else None

    def attach(self, record: CallRecord, bridge: CallBridge) -> None:
        """The call's media socket connected: ``bridge`` carries its turns from now on."""
        self._bridges[record.call_id] = bridge
        record.state = CallState.CONNECTED

    def bridge(self, call_id: str) -> CallBridge | None:
        """The call's bridge to the bot; None before its media connects and after it ends."""
        return self._bridges.get(call_id)

    def bridges(self) -> list[CallBridge]:
        return list(self._bridges.values())

    async def end(self, call_id: str, reason: str) -> None:
        """The call is over (hang-up, socket dropped, ``CallDisconnected``, shutdown): its bridge tells the
        bot once and stops the audio, then the call is forgotten."""
        bridge = self._bridges.get(call_id)
        try:
            if bridge is not None:
                await bridge.end(reason)
        finally:
            self.remove(call_id)

    def remove(self, call_id: str) -> None:
        """Forget the call and its bridge (the one place both go; ``end`` first when the bot must know)."""
        self._bridges.pop(call_id, None)
        record = self._calls.pop(call_id, None)
        if record is None:
            return
        self._by_token.pop(_token_key(record.media_token), None)
        self._by_connection.pop(record.connection_id, None)

    def unconnected(self, older_than_seconds: float) -> list[CallRecord]:
        """Answered phone calls whose media socket never arrived within ``older_than_seconds``."""
        deadline = time.monotonic() - older_than_seconds
        return [
            record
            for record in self._calls.values()
            if record.call_id not in self._bridges
            and not record.softphone
            and record.state == CallState.ANSWERING
            and record.created_at <= deadline
        ]

    def __len__(self) -> int:
        return len(self._calls)

    def phone_calls(self) -> int:
        """Calls that came in through ACS (what ``VOICE__MAX_CALLS`` limits); softphones never count."""
        return sum(1 for record in self._calls.values() if not record.softphone)

    def softphone_calls(self) -> int:
        return sum(1 for record in self._calls.values() if record.softphone)

    def calls(self) -> list[CallRecord]:
        return list(self._calls.values())

    def seen_event(self, event_id: str) -> bool:
        """True when this webhook event id was already processed (Event Grid retries, replays)."""
        if not event_id:
            return False
        if event_id in self._seen:
            return True
        self._seen[event_id] = None
        if len(self._seen) > self._max_seen:
            self._seen.popitem(last=False)
        return False
