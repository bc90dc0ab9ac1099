"""Call-control port (transfer, hang up): ACS Call Automation for phone calls, the socket for softphones."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from services.handoff.targets import ACS_USER_PREFIX, TEAMS_USER_PREFIX, is_phone_number

log = logging.getLogger(__name__)

ACS_TIMEOUT_SECONDS = 10.0


class CallControlError(Exception):
    """A call-control request failed (the message is safe to show the bot: no personal data)."""


class CallControl(Protocol):
    async def transfer(self, target: str, handoff_id: str, reason: str) -> str | None:
        """Start a transfer: a final state ("completed") when known now, None when ACS reports later."""

    async def hang_up(self) -> None: ...


def custom_context_headers(handoff_id: str, reason: str) -> dict[str, str]:
    """SIP ``X-MS-Custom-*`` headers carried to the agent's leg (ACS custom calling context)."""
    headers = {"X-MS-Custom-HandoffId": handoff_id[:128]}
    if reason:
        headers["X-MS-Custom-Reason"] = reason[:128]
    return headers


def participant_identifier(target: str) -> Any:
    """The SDK identifier for a transfer target: a phone number, a Teams user (``8:orgid:<object id>``)
    or an ACS user (``8:acs:…``), as ``services.handoff.targets`` writes them."""
    from azure.communication.callautomation import (
        CommunicationUserIdentifier,
        MicrosoftTeamsUserIdentifier,
        PhoneNumberIdentifier,
    )

    if is_phone_number(target):
        return PhoneNumberIdentifier(target)
    if target.startswith(TEAMS_USER_PREFIX):
        return MicrosoftTeamsUserIdentifier(target.removeprefix(TEAMS_USER_PREFIX))
    if target.startswith(ACS_USER_PREFIX):
        return CommunicationUserIdentifier(target)
    raise CallControlError("transfer target is not an E.164 number or a Teams/ACS user")


class AcsCallControl:
    """Call Automation calls on one call connection (the async SDK client)."""

    def __init__(self, client: object, connection_id: str) -> None:
        self._client = client
        self._connection_id = connection_id

    def _connection(self) -> object:
        return self._client.get_call_connection(self._connection_id)  # type: ignore[attr-defined]

    async def transfer(self, target: str, handoff_id: str, reason: str) -> str | None:
        from azure.core.exceptions import AzureError

        connection = self._connection()
        try:
            async with asyncio.timeout(ACS_TIMEOUT_SECONDS):
                await connection.transfer_call_to_participant(  # type: ignore[attr-defined]
                    participant_identifier(target),
                    operation_context=f"handoff:{handoff_id}",
                    sip_headers=custom_context_headers(handoff_id, reason),
                )
        except (AzureError, TimeoutError) as exc:
            raise CallControlError(f"transfer request failed: {type(exc).__name__}") from exc
        return None  # CallTransferAccepted / CallTransferFailed arrive on /api/calls/events

    async def hang_up(self) -> None:
        from azure.core.exceptions import AzureError

        try:
            async with asyncio.timeout(ACS_TIMEOUT_SECONDS):
                await self._connection().hang_up(is_for_everyone=True)  # type: ignore[attr-defined]
        except (AzureError, TimeoutError) as exc:
            raise CallControlError(f"hang-up failed: {type(exc).__name__}") from exc


class SocketCallControl:
    """Softphone and simulator calls: no telephony, so a transfer is announced to the page and simulated."""

    def __init__(
        self, close: Callable[[], Awaitable[None]], notify: Callable[[str, dict[str, str]], Awaitable[None]]
    ) -> None:
        self._close = close
        self._notify = notify

    async def transfer(self, target: str, handoff_id: str, reason: str) -> str | None:
        await self._notify("Transfer", {"target": target, "handoffId": handoff_id, "simulated": "true"})
        return "completed"

    async def hang_up(self) -> None:
        await self._notify("HangUp", {})  # the page can tell the bot's goodbye from a lost connection
        await self._close()
