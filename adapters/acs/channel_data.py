"""The ACS call's ids on each activity's ``channelData``, written by the call session, read at call start."""

from __future__ import annotations

from typing import Any

CALL_CONNECTION_ID = "callConnectionId"
SERVER_CALL_ID = "serverCallId"


def acs_channel_data(call_connection_id: str, server_call_id: str) -> dict[str, str] | None:
    """``channelData`` for an activity of an ACS phone call (None for a softphone call: no ACS ids)."""
    data = {CALL_CONNECTION_ID: call_connection_id, SERVER_CALL_ID: server_call_id}
    return {key: value for key, value in data.items() if value} or None


def acs_call_ids(channel_data: Any) -> tuple[str, str]:
    """(call connection id, server call id) from an activity's ``channelData``; empty strings otherwise."""
    data = channel_data if isinstance(channel_data, dict) else {}
    return str(data.get(CALL_CONNECTION_ID) or ""), str(data.get(SERVER_CALL_ID) or "")
