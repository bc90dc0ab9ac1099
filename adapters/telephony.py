"""Activity shapes of the Azure Bot Service telephony channel, built and read in one place.

Source: microsoft/botframework-telephony docs (TransferCallOut.md, DTMF.md, Recording.md,
Ssml.md) as summarised in PROTOCOLS.md; botbuilder-python has no factory for these events.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from botbuilder.schema import Activity, ActivityTypes, Attachment, EndOfConversationCodes

from services.handoff.targets import is_phone_number

TELEPHONY_CHANNEL_ID = "telephony"
# "+14255550100", "tel:+1 425 555 0100", "4:+14255550100" (ACS raw id); not a GUID with digits in it.
_PHONE_LIKE = re.compile(r"^(?:tel:|4:)?\+?[\d\s().-]{7,20}$")
HANDOFF_INITIATE = "handoff.initiate"
HANDOFF_STATUS = "handoff.status"
SILENCE_TIMEOUT = "silence.timeout"
SPEECH_UNRECOGNISED = "speech.unrecognised"
"""Ours, like ``silence.timeout``: the media pipeline could not recognise the caller several times running."""
DTMF_ENTITY_TYPE = "DTMF"
# InputHints in botbuilder-python lacks the telephony channel's two extra literals.
IGNORING_NON_SPEECH_INPUT = "ignoringNonSpeechInput"
IGNORING_SPEECH_INPUT = "ignoringSpeechInput"


def handoff_event(target: str, handoff_id: str, reason: str, transcript: dict[str, Any]) -> Activity:
    """The telephony channel's transfer request: an event named ``handoff.initiate``.

    ``TargetPhoneNumber`` must be E.164 without dashes; the context travels as a JSON attachment
    named ``Transcript``. ``HandoffId``/``Reason`` are ours: the ACS adapter passes them on as
    custom calling context so the agent side can fetch the full record. A Teams or ACS user (a raw id,
    reachable through ACS only) goes in ``TargetParticipant``, also ours.
    """
    key = "TargetPhoneNumber" if is_phone_number(target) else "TargetParticipant"
    return Activity(
        type=ActivityTypes.event,
        name=HANDOFF_INITIATE,
        value={key: target, "HandoffId": handoff_id, "Reason": reason},
        attachments=[Attachment(content_type="application/json", name="Transcript", content=transcript)],
    )


def hang_up(reason_code: str = EndOfConversationCodes.completed_successfully) -> Activity:
    """Ends the call: the telephony channel hangs up on ``endOfConversation``."""
    return Activity(type=ActivityTypes.end_of_conversation, code=reason_code)


def is_dtmf(activity: Activity) -> bool:
    """Key presses arrive as messages carrying an entity of type ``DTMF``."""
    return any(
        getattr(entity, "type", None) == DTMF_ENTITY_TYPE
        or (isinstance(entity, dict) and entity.get("type") == DTMF_ENTITY_TYPE)
        for entity in activity.entities or []
    )


def handoff_failed(activity: Activity) -> str | None:
    """The failure message when ``activity`` reports a failed transfer, else None."""
    if activity.type != ActivityTypes.event or activity.name != HANDOFF_STATUS:
        return None
    value = activity.value if isinstance(activity.value, dict) else {}
    if str(value.get("state", "")).lower() == "failed":
        return str(value.get("message") or "transfer failed")
    return None


RECORDING_COMMAND = "channel/vnd.microsoft.telephony.recording."
RECORDING_START = RECORDING_COMMAND + "start"
COMMAND = "command"
COMMAND_RESULT = "commandResult"


def recording_start() -> Activity:
    """Asks the telephony channel to record the call (Recording.md): a ``command`` activity whose
    ``commandResult`` answer carries the same ``commandId`` (and an ``error`` when it failed)."""
    settings = {"recordingContentType": "audio", "recordingChannelType": "mixed"}
    return Activity(
        type=COMMAND, name=RECORDING_START, value={"commandId": str(uuid.uuid4()), "data": settings}
    )


def recording_result(activity: Activity) -> tuple[str, str | None] | None:
    """(command name, error code or None) for a recording ``commandResult``; None for anything else."""
    if activity.type != COMMAND_RESULT or not str(activity.name or "").startswith(RECORDING_COMMAND):
        return None
    value = activity.value if isinstance(activity.value, dict) else {}
    error = value.get("error") if isinstance(value.get("error"), dict) else None
    return str(activity.name), (str(error.get("code") or "unknown") if error else None)


def caller_number(activity: Activity) -> str:
    """The caller's number (ANI) as the channel gives it: the docs disagree between ``from.name``
    and ``from.id``, so read both and prefer whichever looks like a phone number."""
    sender = activity.from_property
    if sender is None:
        return ""
    for candidate in (sender.id, sender.name):
        if candidate and _PHONE_LIKE.match(candidate.strip()):
            return candidate.strip()
    return ""
