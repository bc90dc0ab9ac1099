"""Pydantic models for the ACS media-streaming WebSocket JSON (read camel- or PascalCase, write PascalCase).

Shapes from Microsoft's "Quickstart: Server-side Audio Streaming" (MicrosoftDocs/azure-docs,
articles/communication-services/how-tos/call-automation/includes/audio-streaming-quickstart-python.md):
received ``{"kind": "AudioMetadata", "audioMetadata": {"subscriptionId", "encoding": "PCM",
"sampleRate": 16000, "channels": 1, "length": 640}}``, ``{"kind": "AudioData", "audioData":
{"timestamp", "participantRawID", "data": <base64>, "silent"}}``, ``{"kind": "DtmfData", "dtmfData":
{"data": "3"}}``; sent ``{"Kind": "AudioData", "AudioData": {"Data": <base64>}, "StopAudio": null}`` and
``{"Kind": "StopAudio", "AudioData": null, "StopAudio": {}}``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

# orjson: every call parses 50 frames a second and sends as many back; the stdlib json codec was a
# fifth of the per-frame CPU in bench/voice_calls (200 calls/core reached only with it).
import orjson
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

MAX_MESSAGE_BYTES = 64 * 1024
"""A 20 ms frame is ~900 bytes of JSON; anything this large is not a media message."""


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


class MediaMessageError(ValueError):
    """A WebSocket message that is not a well-formed media-streaming message."""


def _alias(camel: str) -> AliasChoices:
    return AliasChoices(camel, camel[0].upper() + camel[1:])


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class AudioMetadataBody(_Model):
    subscription_id: str = Field("", validation_alias=_alias("subscriptionId"))
    encoding: str = Field("PCM", validation_alias=_alias("encoding"))
    sample_rate: int = Field(16000, validation_alias=_alias("sampleRate"))
    channels: int = Field(1, validation_alias=_alias("channels"))
    length: int = Field(640, validation_alias=_alias("length"))


class AudioDataBody(_Model):
    data: str = Field(validation_alias=_alias("data"))
    timestamp: str | None = Field(None, validation_alias=_alias("timestamp"))
    participant_raw_id: str | None = Field(
        None, validation_alias=AliasChoices("participantRawID", "ParticipantRawID", "participantRawId")
    )
    silent: bool = Field(False, validation_alias=AliasChoices("silent", "Silent", "isSilent", "IsSilent"))

    def pcm(self) -> bytes:
        """The decoded PCM; raises MediaMessageError on bad base64 or an odd byte count."""
        try:
            raw = base64.b64decode(self.data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MediaMessageError("AudioData.data is not valid base64") from exc
        if len(raw) % 2:
            raise MediaMessageError("AudioData.data is not whole 16-bit samples")
        return raw


class DtmfDataBody(_Model):
    data: str = Field(validation_alias=_alias("data"))


class AudioMetadataMessage(_Model):
    kind: Literal["AudioMetadata"] = Field(validation_alias=_alias("kind"))
    audio_metadata: AudioMetadataBody = Field(validation_alias=_alias("audioMetadata"))


class AudioDataMessage(_Model):
    kind: Literal["AudioData"] = Field(validation_alias=_alias("kind"))
    audio_data: AudioDataBody = Field(validation_alias=_alias("audioData"))


class DtmfDataMessage(_Model):
    kind: Literal["DtmfData"] = Field(validation_alias=_alias("kind"))
    dtmf_data: DtmfDataBody = Field(validation_alias=_alias("dtmfData"))


InboundMessage = AudioMetadataMessage | AudioDataMessage | DtmfDataMessage
_BY_KIND: dict[str, type[BaseModel]] = {
    "AudioMetadata": AudioMetadataMessage,
    "AudioData": AudioDataMessage,
    "DtmfData": DtmfDataMessage,
}
KNOWN_IGNORED_KINDS = frozenset({"TranscriptionMetadata", "TranscriptionData"})


class UnknownKind(MediaMessageError):
    """A message whose ``kind`` this server does not handle (logged and skipped)."""


def parse_inbound(raw: str | bytes) -> InboundMessage:
    """Parse one WebSocket text message; raises MediaMessageError (or UnknownKind) with a clear reason."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise MediaMessageError(f"message of {len(raw)} bytes exceeds {MAX_MESSAGE_BYTES}")
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MediaMessageError("message is not JSON") from exc
    if not isinstance(obj, dict):
        raise MediaMessageError("message is not a JSON object")
    kind = obj.get("kind", obj.get("Kind"))
    if not isinstance(kind, str):
        raise MediaMessageError("message has no kind")
    model = _BY_KIND.get(kind)
    if model is None:
        raise UnknownKind(f"unknown kind {kind[:40]!r}")
    try:
        return model.model_validate(obj)  # type: ignore[return-value]
    except ValidationError as exc:
        fields = ",".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        raise MediaMessageError(f"{kind} message is malformed ({fields})") from exc


def audio_data_out(pcm: bytes) -> str:
    """The documented outbound AudioData message for one chunk of PCM."""
    return _dumps(
        {"Kind": "AudioData", "AudioData": {"Data": base64.b64encode(pcm).decode("ascii")}, "StopAudio": None}
    )


def stop_audio_out() -> str:
    """The documented outbound StopAudio message (cuts playback queued on the ACS side)."""
    return _dumps({"Kind": "StopAudio", "AudioData": None, "StopAudio": {}})


def audio_data_in(pcm: bytes, participant_raw_id: str = "4:+14255550100", *, silent: bool = False) -> str:
    """An inbound AudioData message as ACS sends it (used by the simulator, the softphone and tests)."""
    return _dumps(
        {
            "kind": "AudioData",
            "audioData": {
                "timestamp": "2024-11-15T19:16:12.925Z",
                "participantRawID": participant_raw_id,
                "data": base64.b64encode(pcm).decode("ascii"),
                "silent": silent,
            },
        }
    )


def audio_metadata_in(sample_rate: int = 16000, subscription_id: str = "sim") -> str:
    """An inbound AudioMetadata message as ACS sends it first."""
    return _dumps(
        {
            "kind": "AudioMetadata",
            "audioMetadata": {
                "subscriptionId": subscription_id,
                "encoding": "PCM",
                "sampleRate": sample_rate,
                "channels": 1,
                "length": sample_rate * 2 // 50,
            },
        }
    )


def dtmf_in(digit: str) -> str:
    """An inbound DtmfData message as ACS sends it."""
    return _dumps({"kind": "DtmfData", "dtmfData": {"data": digit}})


def parse_outbound(raw: str) -> tuple[str, bytes | None]:
    """Read a server->ACS message (clients: simulator, tests): ``(kind, pcm or None)``; custom kinds pass."""
    obj: dict[str, Any] = orjson.loads(raw)
    kind = obj.get("Kind") or obj.get("kind") or ""
    if kind == "AudioData":
        body = obj.get("AudioData") or obj.get("audioData") or {}
        data = body.get("Data") or body.get("data") or ""
        return kind, base64.b64decode(data)
    return kind, None
