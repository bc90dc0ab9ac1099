"""Recording on transfer, wired end to end: the ACS call's ids reach the journal, recording starts on the
call connection, RecordingFileStatusUpdated (Event Grid) brings the transcript, and on the telephony
channel the bot sends the recording command and takes its commandResult."""

from __future__ import annotations

import asyncio
import io
import logging
import wave
from types import SimpleNamespace
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from azure.communication.callautomation.aio import CallAutomationClient
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity

from adapters.acs.channel_data import acs_channel_data
from adapters.acs.media_ws import ACS_CLIENT_KEY
from adapters.acs.routes import add_call_routes
from adapters.adapter_setup import AdapterSetup
from adapters.app_keys import SERVICES_KEY
from adapters.telephony import HANDOFF_INITIATE, RECORDING_START
from config import AcsSettings, HandoffSettings, Settings
from services.handoff.base import EscalationReason
from services.recording.azure_recording import AcsRecorder
from services.speech.base import SAMPLE_RATE
from tests.services.handoff.conftest import spanish_fraud_journal
from tests.services.handoff.test_call_recording import FakeStt, LoopbackTransport
from tests.support.bot_harness import dialog_harness

SECRET = "test-secret-123"
SERVER_CALL_ID = "aHR0cHM6Ly9hcGkuZmxpZ2h0cHJveHkuc2t5cGUuY29tL2FwaS92Mi9jcC9jb252LXVzZWEyLTAx"
DOCUMENT = "0-eus-d12-801b3f3fc462fe8a01e6810cbff729b8"
# As documented for Event Grid (Communication Services voice and video calling events).
RECORDING_FILE_STATUS_UPDATED = {
    "id": "7283825e-f8f1-4c61-a9ea-752c56890500",
    "topic": "/subscriptions/s/resourcegroups/g/providers/microsoft.communication/communicationservices/acs",
    "subject": f"/recording/call/ccb1c3d5-8d69-4a2b-8c55-1c4e6ed0dd51/serverCallId/{SERVER_CALL_ID}",
    "data": {
        "recordingStorageInfo": {
            "recordingChunks": [
                {
                    "documentId": DOCUMENT,
                    "index": 0,
                    "endReason": "SessionEnded",
                    "contentLocation": f"https://storage.asm.skype.com/v1/objects/{DOCUMENT}/content/audio",
                    "metadataLocation": f"https://storage.asm.skype.com/v1/objects/{DOCUMENT}/content/acsmetadata",
                    "deleteLocation": f"https://us-storage.asm.skype.com/v1/objects/{DOCUMENT}",
                }
            ]
        },
        "recordingStartTime": "2021-07-27T15:20:23.6089755Z",
        "recordingDurationMs": 6620,
        "sessionEndReason": "CallEnded",
        "recordingContentType": "Audio",
        "recordingChannelType": "Mixed",
        "recordingFormatType": "Wav",
    },
    "eventType": "Microsoft.Communication.RecordingFileStatusUpdated",
    "dataVersion": "1.0",
    "metadataVersion": "1",
    "eventTime": "2021-07-27T15:20:34.2199328Z",
}


def wav_bytes(seconds: float = 0.5) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(b"\x10\x00\xf0\xff" * int(SAMPLE_RATE * seconds / 2))
    return buffer.getvalue()


class FakeAcsRecording:
    """Call Automation's recording REST side on loopback: start, stop, and the stored file."""

    def __init__(self) -> None:
        self.started: list[dict[str, Any]] = []
        self.downloads: list[str] = []
        self.app = web.Application()
        self.app.router.add_post("/calling/recordings", self._start)
        self.app.router.add_delete("/calling/recordings/{rid}", lambda r: web.Response(status=204))
        self.app.router.add_get("/v1/objects/{doc}/content/audio", self._file)

    async def _start(self, request: web.Request) -> web.Response:
        self.started.append(await request.json())
        return web.json_response({"recordingId": "rec-1", "recordingState": "active"})

    async def _file(self, request: web.Request) -> web.Response:
        self.downloads.append(request.path)
        return web.Response(body=wav_bytes(), content_type="audio/wav")


async def test_recording_file_status_updated_from_event_grid_attaches_the_transcript(make_service) -> None:
    fake = FakeAcsRecording()
    async with TestServer(fake.app, host="127.0.0.1") as acs:
        client = CallAutomationClient.from_connection_string(
            "endpoint=https://contoso-acs.communication.azure.com/;accesskey=dGVzdGtleQ==",
            transport=LoopbackTransport(acs.port),
        )
        service = make_service(
            recorder=AcsRecorder(client), stt=FakeStt("hay cargos que no hice"), record_on_transfer=True
        )
        journal = spanish_fraud_journal()
        journal.call_connection_id, journal.server_call_id = "conn-1", SERVER_CALL_ID
        journal.recording_consent_announced = True
        ticket = await service.escalate(journal, EscalationReason.FRAUD)
        await service.call_ended(journal, "transferred")

        settings = Settings(_env_file=None, acs=AcsSettings(event_grid_secret=SECRET))
        app = web.Application()
        app[SERVICES_KEY] = SimpleNamespace(settings=settings, handoff=service, bot=None, stt=None, tts=None)
        app[ACS_CLIENT_KEY] = None
        add_call_routes(app, AdapterSetup())
        async with TestServer(app, host="127.0.0.1") as bot, aiohttp.ClientSession() as http:
            url = bot.make_url("/api/calls/incoming")
            headers = {"X-Contoso-Event-Secret": SECRET}
            async with http.post(url, json=[RECORDING_FILE_STATUS_UPDATED], headers=headers) as resp:
                assert resp.status == 200
            for _ in range(200):
                if (await service.get(ticket.handoff_id)).post_call.transcript:
                    break
                await asyncio.sleep(0.05)
        await client.close()

    assert fake.started[0]["callConnectionId"] == "conn-1"
    assert fake.downloads == [f"/v1/objects/{DOCUMENT}/content/audio"]
    assert (await service.get(ticket.handoff_id)).post_call.transcript == "hay cargos que no hice"


async def test_an_answered_acs_call_records_on_its_connection_when_transferred(
    bot_settings: Settings, trained_recognizer: Any, monkeypatch: Any
) -> None:
    fake = FakeAcsRecording()
    async with TestServer(fake.app, host="127.0.0.1") as acs:
        import services.recording.azure_recording as azure_recording

        connection = "endpoint=https://contoso-acs.communication.azure.com/;accesskey=dGVzdGtleQ=="
        settings = bot_settings.model_copy(
            update={
                "handoff": HandoffSettings(record_on_transfer=True),
                "acs": AcsSettings(connection_string=connection),
            }
        )
        # The SDK insists on https: the same client, its requests carried to the loopback fake.
        monkeypatch.setattr(
            azure_recording,
            "call_automation_client",
            lambda acs_settings: CallAutomationClient.from_connection_string(
                acs_settings.connection_string.get_secret_value(), transport=LoopbackTransport(acs.port)
            ),
        )
        caller = await dialog_harness(settings, trained_recognizer, "+14255550100", "en-US")
        caller.client.test_adapter.template.channel_data = acs_channel_data("conn-7", SERVER_CALL_ID)
        said = " ".join(await caller.say("I want to talk to an agent"))
        await caller.services.handoff.recorder.close()  # type: ignore[union-attr]

    assert "may be recorded" in said and caller.events(HANDOFF_INITIATE)
    assert [body["callConnectionId"] for body in fake.started] == ["conn-7"]
    assert not any(a.type == "command" for a in caller.last)  # ACS records itself: no channel command


async def test_on_the_telephony_channel_the_bot_sends_the_recording_command_and_takes_its_result(
    bot_settings: Settings, trained_recognizer: Any, caplog: Any
) -> None:
    settings = bot_settings.model_copy(update={"handoff": HandoffSettings(record_on_transfer=True)})
    caller = await dialog_harness(settings, trained_recognizer, "+14255550100", "en-US")
    caller.client.test_adapter.template.channel_id = "telephony"
    await caller.say("I want to talk to an agent")
    kinds = [(a.type, a.name) for a in caller.last if a.type in ("command", "event")]
    assert kinds[:1] == [("command", RECORDING_START)] and ("event", HANDOFF_INITIATE) in kinds
    command = caller.last[[a.type for a in caller.last].index("command")]
    assert command.value["commandId"] and "data" in command.value

    failed = Activity(
        type="commandResult",
        name=RECORDING_START,
        value={
            "commandId": command.value["commandId"],
            "data": None,
            "error": {"code": "RecordingNotAllowed", "message": "recording is not enabled"},
        },
    )
    bot = caller.services.bot  # the ActivityHandler itself: DialogTestClient runs the dialog only
    adapter = TestAdapter(bot.on_turn, template_or_conversation=caller.client.test_adapter.template)
    with caplog.at_level(logging.WARNING):
        await adapter.send(failed)
    assert not adapter.activity_buffer  # nothing said to the caller

    assert any("recording command failed" in r.getMessage() for r in caplog.records)
