"""Recording starts on transfer only when configured AND the consent notice was played; post-call text."""

from __future__ import annotations

import io
import json
import shutil
import wave
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from azure.communication.callautomation.aio import CallAutomationClient
from azure.core.pipeline.transport import AioHttpTransport

from services.handoff.base import CallOutcome, EscalationReason
from services.recording.azure_recording import AcsRecorder
from services.recording.base import RecordingNotAllowed
from services.recording.embedded_recording import EmbeddedRecorder
from services.speech.base import FRAME_BYTES, SAMPLE_RATE, SttResult
from tests.services.handoff.conftest import block_card_journal, spanish_fraud_journal


class LoopbackTransport(AioHttpTransport):
    """The SDK's own aiohttp transport, sent to a local plain-HTTP fake of ACS whatever the https:// host."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port

    async def send(self, request, **kwargs):  # type: ignore[override]
        url = urlsplit(request.url)
        request.url = urlunsplit(("http", f"127.0.0.1:{self.port}", url.path, url.query, ""))
        return await super().send(request, **kwargs)


class FakeStt:
    """Stands in for the SpeechToText port; remembers what it was asked to transcribe."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls: list[tuple[int, str | None]] = []

    def open_stream(self, locale_hint=None):  # pragma: no cover - not used post-call
        raise NotImplementedError

    async def transcribe(self, pcm: bytes, locale_hint: str | None = None) -> SttResult:
        self.calls.append((len(pcm), locale_hint))
        return SttResult(text=self.text, is_final=True, language=locale_hint or "en-US", start_ms=0, end_ms=0)


def _tone_frames(seconds: float) -> list[bytes]:
    frame = (b"\x10\x00\xf0\xff" * (FRAME_BYTES // 4))[:FRAME_BYTES]
    return [frame] * int(seconds * 1000 / 20)


async def test_no_recording_without_the_consent_announcement(make_service, tmp_path: Path) -> None:
    recorder = EmbeddedRecorder(tmp_path)
    service = make_service(recorder=recorder, record_on_transfer=True)
    journal = block_card_journal()
    assert journal.recording_consent_announced is False
    ticket = await service.escalate(journal, EscalationReason.CALLER_REQUEST)
    assert (await service.get(ticket.handoff_id)).recording_id is None
    assert not recorder.is_recording(journal.conversation_id)
    assert not (tmp_path / "recordings").exists()
    with pytest.raises(RecordingNotAllowed):
        await recorder.start(journal)


async def test_no_recording_when_not_configured_even_with_consent(make_service, tmp_path: Path) -> None:
    recorder = EmbeddedRecorder(tmp_path)
    service = make_service(recorder=recorder, record_on_transfer=False)
    journal = block_card_journal()
    journal.recording_consent_announced = True
    ticket = await service.escalate(journal, EscalationReason.CALLER_REQUEST)
    assert (await service.get(ticket.handoff_id)).recording_id is None
    assert not (tmp_path / "recordings").exists()


async def test_consented_call_is_recorded_and_transcribed_after_the_call(
    make_service, tmp_path: Path
) -> None:
    recorder = EmbeddedRecorder(tmp_path)
    stt = FakeStt("I lost my card, my number is 4111 1111 1111 1111")
    service = make_service(recorder=recorder, stt=stt, record_on_transfer=True)
    journal = block_card_journal()
    journal.recording_consent_announced = True
    ticket = await service.escalate(journal, EscalationReason.CALLER_REQUEST)
    for frame in _tone_frames(1.5):
        await recorder.write(journal.conversation_id, frame)
    await recorder.write("some-other-call", _tone_frames(0.02)[0])  # not recorded: ignored

    await service.call_ended(journal, CallOutcome.TRANSFERRED.value)

    record = await service.get(ticket.handoff_id)
    assert record.recording_id and record.recording_id.startswith("local-")
    post = record.post_call
    assert post is not None and post.recording_id == record.recording_id
    path = Path(post.recording_path or "")
    assert path.parent == tmp_path / "recordings" / "C001"
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (SAMPLE_RATE, 1, 2)
        assert wav.getnframes() == int(1.5 * SAMPLE_RATE)
    assert stt.calls == [(int(1.5 * SAMPLE_RATE) * 2, "en-US")]
    assert post.transcript == "I lost my card, my number is [CARD]"


async def test_unverified_callers_recordings_go_to_a_neutral_folder(tmp_path: Path) -> None:
    journal = block_card_journal("call/../../etc")
    journal.verified = False
    journal.recording_consent_announced = True
    recorder = EmbeddedRecorder(tmp_path)
    info = await recorder.start(journal)
    await recorder.stop(journal.conversation_id)
    assert info.path is not None and info.path.parent == tmp_path / "recordings" / "unidentified"
    assert ".." not in info.path.name


async def test_acs_recording_starts_on_the_call_connection(tmp_path: Path) -> None:
    requests: list[tuple[str, str, dict]] = []

    async def start_recording(request: web.Request) -> web.Response:
        assert request.headers["Authorization"].startswith("HMAC-SHA256 ")
        requests.append((request.method, request.path_qs, await request.json()))
        return web.json_response(
            {
                "recordingId": "eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiIx",
                "recordingState": "active",
                "recordingKind": "AzureCommunicationServices",
            }
        )

    async def stop_recording(request: web.Request) -> web.Response:
        requests.append((request.method, request.path, {}))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/calling/recordings", start_recording)
    app.router.add_delete("/calling/recordings/{recording_id}", stop_recording)
    async with TestServer(app, host="127.0.0.1") as server:
        client = CallAutomationClient.from_connection_string(
            "endpoint=https://contoso-acs.communication.azure.com/;accesskey=dGVzdGtleQ==",
            transport=LoopbackTransport(server.port),
        )
        recorder = AcsRecorder(
            client, state_callback_url="https://bot.example.com/api/calls/recording-events"
        )
        journal = block_card_journal()
        journal.call_connection_id = "421f0700-8b1e-4d2a-a3f0-6f0c8f1f1a01"
        with pytest.raises(RecordingNotAllowed):
            await recorder.start(journal)
        journal.recording_consent_announced = True
        info = await recorder.start(journal)
        stopped = await recorder.stop(journal.conversation_id)
        await recorder.close()

    assert info.recording_id == "eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiIx" and stopped == info
    method, path, body = requests[0]
    assert method == "POST" and path.startswith("/calling/recordings?api-version=")
    assert body["callConnectionId"] == journal.call_connection_id
    assert (body["recordingContentType"], body["recordingChannelType"], body["recordingFormatType"]) == (
        "audio", "mixed", "wav",
    )  # fmt: skip
    assert body["recordingStateCallbackUri"] == "https://bot.example.com/api/calls/recording-events"
    assert (
        requests[1][0] == "DELETE"
        and requests[1][1] == "/calling/recordings/eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiIx"
    )
    assert json.dumps(body).count("4255550123") == 0


async def test_acs_recording_is_transcribed_when_its_file_is_ready(make_service) -> None:
    pcm = b"".join(_tone_frames(0.5))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(pcm)

    async def start_recording(request: web.Request) -> web.Response:
        return web.json_response({"recordingId": "rec-1", "recordingState": "active"})

    async def recording_file(request: web.Request) -> web.Response:
        return web.Response(body=buffer.getvalue(), content_type="audio/wav")

    app = web.Application()
    app.router.add_post("/calling/recordings", start_recording)
    app.router.add_delete("/calling/recordings/{recording_id}", lambda r: web.Response(status=204))
    app.router.add_get("/v1/objects/rec-1/content/audio", recording_file)
    async with TestServer(app, host="127.0.0.1") as server:
        client = CallAutomationClient.from_connection_string(
            "endpoint=https://contoso-acs.communication.azure.com/;accesskey=dGVzdGtleQ==",
            transport=LoopbackTransport(server.port),
        )
        stt = FakeStt("quiero hablar con alguien")
        service = make_service(recorder=AcsRecorder(client), stt=stt, record_on_transfer=True)
        journal = spanish_fraud_journal()
        journal.call_connection_id, journal.recording_consent_announced = "conn-1", True
        ticket = await service.escalate(journal, EscalationReason.FRAUD)
        await service.call_ended(journal, "transferred")
        assert (await service.get(ticket.handoff_id)).post_call.transcript is None  # file not ready yet

        location = "https://us-storage.asm.skype.com/v1/objects/rec-1/content/audio"
        assert await service.recording_ready(journal.conversation_id, location) == "quiero hablar con alguien"
        await client.close()

    assert stt.calls == [(len(pcm), "es-MX")]
    assert (await service.get(ticket.handoff_id)).post_call.transcript == "quiero hablar con alguien"
    assert (await service.store.get_call(journal.conversation_id)).transcript == "quiero hablar con alguien"


async def test_recorded_call_is_transcribed_by_the_embedded_stt(make_service, tmp_path: Path) -> None:
    """The real offline engine (pocketsphinx, English) transcribes the WAV the embedded recorder wrote."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed: apt-get install -y espeak-ng")
    from config import PROJECT_ROOT
    from services.speech.embedded_stt import EmbeddedSpeechToText
    from services.speech.vocabulary import load_vocabulary
    from tests.support.speech_fixtures import frames, make_speech_pcm

    stt = EmbeddedSpeechToText(
        tmp_path, vocabulary=load_vocabulary(PROJECT_ROOT / "cognitiveModels" / "banking.clu.json")
    )
    service = make_service(recorder=EmbeddedRecorder(tmp_path), stt=stt, record_on_transfer=True)
    journal = block_card_journal()
    journal.recording_consent_announced = True
    ticket = await service.escalate(journal, EscalationReason.CALLER_REQUEST)
    speech = make_speech_pcm("I want to block my credit card", "en-US", lead_ms=300, trail_ms=500)
    for frame in frames(speech):
        await service.record_audio(journal.conversation_id, frame)
    await service.call_ended(journal, "transferred")
    await stt.close()

    transcript = (await service.get(ticket.handoff_id)).post_call.transcript or ""
    assert "block" in transcript and "card" in transcript
