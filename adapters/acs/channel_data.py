"""The ACS call's ids on each activity's ``channelData``, written by the call session, read at call start."""

from __future__ import annotations

from typing import Any

CALL_CONNECTION_ID = "callConnectionId"
SERVER_CALL_ID = "serverCallId"
CALLER_STATE = "callerState"
"""On the bot's replies in a call: ``unknown``, ``identified`` (by caller number) or ``verified`` (PIN);
the softphone shows it. A state only: never a name, number or id."""
CALLER_STATES = ("unknown", "identified", "verified")


def acs_channel_data(call_connection_id: str, server_call_id: str) -> dict[str, str] | None:
    """``channelData`` for an activity of an ACS phone call (None for a softphone call: no ACS ids)."""
    data = {CALL_CONNECTION_ID: call_connection_id, SERVER_CALL_ID: server_call_id}
    return {key: value for key, value in data.items() if value} or None


def acs_call_ids(channel_data: Any) -> tuple[str, str]:
    """(call connection id, server call id) from an activity's ``channelData``; empty strings otherwise."""
    data = channel_data if isinstance(channel_data, dict) else {}
    return str(data.get(CALL_CONNECTION_ID) or ""), str(data.get(SERVER_CALL_ID) or "")


def with_caller_state(channel_data: Any, state: str) -> dict[str, Any]:
    """A reply's ``channelData`` with the caller's verification state added."""
    data = dict(channel_data) if isinstance(channel_data, dict) else {}
    data[CALLER_STATE] = state
    return data


def caller_state_of(channel_data: Any) -> str | None:
    """The state a reply carries, or None."""
    state = channel_data.get(CALLER_STATE) if isinstance(channel_data, dict) else None
    return state if state in CALLER_STATES else None
