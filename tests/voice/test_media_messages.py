"""The media-streaming message models against Microsoft's documented examples.

Examples from MicrosoftDocs/azure-docs, articles/communication-services/how-tos/call-automation/
includes/audio-streaming-quickstart-python.md ("Handling audio streams in your websocket server",
"DTMF example", "Sending audio streaming data to Azure Communication Services").
"""

from __future__ import annotations

import base64
import json

import pytest

from adapters.acs.media_messages import (
    AudioDataMessage,
    AudioMetadataMessage,
    DtmfDataMessage,
    MediaMessageError,
    UnknownKind,
    audio_data_out,
    parse_inbound,
    stop_audio_out,
)

DOC_METADATA = """{
  "kind": "AudioMetadata",
  "audioMetadata": {
    "subscriptionId": "89e8cb59-b991-48b0-b154-1db84f16a077",
    "encoding": "PCM",
    "sampleRate": 16000,
    "channels": 1,
    "length": 640
  }
}"""
DOC_AUDIO = """{
  "kind": "AudioData",
  "audioData": {
    "timestamp": "2024-11-15T19:16:12.925Z",
    "participantRawID": "8:acs:3d20e1de-0f28-41c5",
    "data": "5ADwAOMA6AD0AA==",
    "silent": false
  }
}"""
DOC_DTMF = '{"kind": "DtmfData", "dtmfData": {"data": "3"}}'


def test_documented_metadata_parses() -> None:
    msg = parse_inbound(DOC_METADATA)
    assert isinstance(msg, AudioMetadataMessage)
    assert (msg.audio_metadata.sample_rate, msg.audio_metadata.channels, msg.audio_metadata.length) == (
        16000,
        1,
        640,
    )


def test_documented_audio_data_parses_and_decodes() -> None:
    msg = parse_inbound(DOC_AUDIO)
    assert isinstance(msg, AudioDataMessage)
    assert msg.audio_data.participant_raw_id == "8:acs:3d20e1de-0f28-41c5"
    assert msg.audio_data.silent is False
    assert msg.audio_data.pcm() == base64.b64decode("5ADwAOMA6AD0AA==")


def test_documented_dtmf_parses() -> None:
    msg = parse_inbound(DOC_DTMF)
    assert isinstance(msg, DtmfDataMessage) and msg.dtmf_data.data == "3"


def test_pascal_case_is_read_too() -> None:
    msg = parse_inbound('{"Kind": "DtmfData", "DtmfData": {"Data": "#"}}')
    assert isinstance(msg, DtmfDataMessage) and msg.dtmf_data.data == "#"
    audio = parse_inbound('{"Kind": "AudioData", "AudioData": {"Data": "AAA=", "Silent": true}}')
    assert isinstance(audio, AudioDataMessage) and audio.audio_data.silent


def test_outbound_messages_match_the_documented_pascal_case() -> None:
    assert json.loads(audio_data_out(b"\x01\x02")) == {
        "Kind": "AudioData",
        "AudioData": {"Data": base64.b64encode(b"\x01\x02").decode()},
        "StopAudio": None,
    }
    assert json.loads(stop_audio_out()) == {"Kind": "StopAudio", "AudioData": None, "StopAudio": {}}


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("not json", MediaMessageError),
        ("[1, 2]", MediaMessageError),
        ('{"audioData": {}}', MediaMessageError),
        ('{"kind": "AudioData", "audioData": {}}', MediaMessageError),
        ('{"kind": "Banana"}', UnknownKind),
        ('{"kind": "AudioData", "audioData": {"data": "' + "A" * 70000 + '"}}', MediaMessageError),
    ],
)
def test_garbage_raises_a_named_error(raw: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_inbound(raw)


def test_bad_base64_is_reported_on_decode() -> None:
    msg = parse_inbound('{"kind": "AudioData", "audioData": {"data": "!!!not-base64!!!"}}')
    assert isinstance(msg, AudioDataMessage)
    with pytest.raises(MediaMessageError, match="base64"):
        msg.audio_data.pcm()
