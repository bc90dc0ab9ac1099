"""Call recording by Azure Communication Services Call Automation (``start_recording`` on the call)."""

from __future__ import annotations

import asyncio
import io
import logging
import wave
from datetime import UTC, datetime
from typing import Any

from azure.core.exceptions import AzureError

from config import AcsSettings
from services.call_automation import call_automation_client
from services.handoff.journal import CallJournal
from services.recording.base import RecordingInfo, RecordingNotAllowed, RecordingUnavailable, consent_given
from services.speech.base import SAMPLE_RATE, SAMPLE_WIDTH

logger = logging.getLogger(__name__)


class AcsRecorder:
    """Mixed-audio WAV recording kept by ACS; the audio is fetched once its content location is known."""

    def __init__(
        self, client: Any, state_callback_url: str | None = None, timeout_seconds: float = 10.0
    ) -> None:
        self._client = client  # azure.communication.callautomation.aio.CallAutomationClient
        self._callback = state_callback_url
        self._timeout = timeout_seconds
        self._active: dict[str, RecordingInfo] = {}
        self._content: dict[str, str] = {}
        self._by_server_call: dict[str, str] = {}

    @classmethod
    def from_settings(cls, acs: AcsSettings) -> AcsRecorder:
        """Recording state changes are not needed: the file's arrival comes as RecordingFileStatusUpdated."""
        return cls(call_automation_client(acs))

    async def start(self, journal: CallJournal) -> RecordingInfo:
        from azure.communication.callautomation import RecordingChannel, RecordingContent, RecordingFormat

        if not consent_given(journal):
            raise RecordingNotAllowed(journal.conversation_id)
        if not journal.call_connection_id:
            raise RecordingUnavailable("no ACS call connection id on this call")
        call_id = journal.conversation_id
        if call_id in self._active:
            return self._active[call_id]
        try:
            properties = await asyncio.wait_for(
                self._client.start_recording(
                    call_connection_id=journal.call_connection_id,
                    recording_content_type=RecordingContent.AUDIO,
                    recording_channel_type=RecordingChannel.MIXED,
                    recording_format_type=RecordingFormat.WAV,
                    recording_state_callback_url=self._callback,
                ),
                self._timeout,
            )
        except (AzureError, TimeoutError) as exc:
            logger.warning("ACS start_recording failed", extra={"error": type(exc).__name__})
            raise RecordingUnavailable(type(exc).__name__) from exc
        info = RecordingInfo(
            call_id=call_id, recording_id=properties.recording_id, started_at=datetime.now(UTC)
        )
        self._active[call_id] = info
        if journal.server_call_id:
            self._by_server_call[journal.server_call_id] = call_id
        return info

    def call_of(self, server_call_id: str) -> str | None:
        """The conversation recorded on an ACS server call (RecordingFileStatusUpdated's subject)."""
        return self._by_server_call.pop(server_call_id, None)

    async def write(self, call_id: str, pcm: bytes) -> None:
        """ACS records the call itself: nothing to do with our audio."""

    async def stop(self, call_id: str) -> RecordingInfo | None:
        info = self._active.pop(call_id, None)
        if info is None:
            return None
        try:
            await asyncio.wait_for(self._client.stop_recording(info.recording_id), self._timeout)
        except (AzureError, TimeoutError) as exc:
            # A call that hung up ends its recording anyway; the warning is for the operator.
            logger.warning("ACS stop_recording failed", extra={"error": type(exc).__name__})
        return info

    def content_ready(self, call_id: str, content_location: str) -> None:
        """Called with RecordingFileStatusUpdated's ``recordingChunks[0].contentLocation``."""
        self._content[call_id] = content_location

    async def audio(self, call_id: str) -> bytes | None:
        location = self._content.pop(call_id, None)
        if location is None:
            return None
        try:
            stream = await asyncio.wait_for(self._client.download_recording(location), self._timeout)
            data = await asyncio.wait_for(_read_all(stream), self._timeout)
        except (AzureError, TimeoutError, ValueError) as exc:  # ValueError: not an ACS recording host
            raise RecordingUnavailable(type(exc).__name__) from exc
        return wav_to_pcm16k(data)

    async def close(self) -> None:
        await self._client.close()


async def _read_all(stream: Any) -> bytes:
    """SDK 1.6.0 documents an async iterable but returns the HTTP response (its issue #42835): take either."""
    if hasattr(stream, "__aiter__"):
        return b"".join([chunk async for chunk in stream])
    if hasattr(stream, "iter_bytes"):
        return b"".join([chunk async for chunk in stream.iter_bytes()])
    return bytes(await stream.read())


def wav_to_pcm16k(data: bytes) -> bytes | None:
    """PCM frames of a 16 kHz 16-bit mono WAV; None for any other format (not resampled here)."""
    with wave.open(io.BytesIO(data), "rb") as wav:
        if wav.getframerate() != SAMPLE_RATE or wav.getsampwidth() != SAMPLE_WIDTH or wav.getnchannels() != 1:
            logger.warning("recording format not 16 kHz mono 16-bit: no transcript")
            return None
        return wav.readframes(wav.getnframes())
