"""Records the call's PCM into a WAV file under ``<data_dir>/recordings/<customer>/``."""

from __future__ import annotations

import asyncio
import re
import uuid
import wave
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from services.handoff.journal import CallJournal
from services.recording.base import RecordingInfo, RecordingNotAllowed, consent_given
from services.speech.base import SAMPLE_RATE, SAMPLE_WIDTH

FLUSH_BYTES = SAMPLE_RATE * SAMPLE_WIDTH  # write to disk about once a second of audio
MAX_FINISHED = 256
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def safe_name(value: str | None, fallback: str) -> str:
    cleaned = _UNSAFE.sub("_", value or "")[:64]
    return cleaned or fallback


@dataclass
class _Active:
    info: RecordingInfo
    writer: wave.Wave_write
    pending: bytearray = field(default_factory=bytearray)
    frames: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class EmbeddedRecorder:
    """One WAV per recorded call; disk writes happen off the event loop in ~1 s batches."""

    def __init__(self, data_dir: Path) -> None:
        self._root = Path(data_dir) / "recordings"
        self._active: dict[str, _Active] = {}
        self._finished: dict[str, RecordingInfo] = {}

    def is_recording(self, call_id: str) -> bool:
        return call_id in self._active

    async def start(self, journal: CallJournal) -> RecordingInfo:
        if not consent_given(journal):
            raise RecordingNotAllowed(journal.conversation_id)
        call_id = journal.conversation_id
        if call_id in self._active:
            return self._active[call_id].info
        started = datetime.now(UTC)
        folder = self._root / safe_name(journal.customer_id if journal.verified else None, "unidentified")
        path = folder / f"{started:%Y%m%dT%H%M%SZ}-{safe_name(call_id, 'call')}.wav"
        writer = await asyncio.to_thread(self._open, path)
        info = RecordingInfo(
            call_id=call_id, recording_id=f"local-{uuid.uuid4().hex[:12]}", started_at=started, path=path
        )
        self._active[call_id] = _Active(info=info, writer=writer)
        return info

    @staticmethod
    def _open(path: Path) -> wave.Wave_write:
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = wave.open(str(path), "wb")
        writer.setnchannels(1)
        writer.setsampwidth(SAMPLE_WIDTH)
        writer.setframerate(SAMPLE_RATE)
        return writer

    async def write(self, call_id: str, pcm: bytes) -> None:
        active = self._active.get(call_id)
        if active is None:
            return
        active.pending.extend(pcm)
        if len(active.pending) >= FLUSH_BYTES:
            await self._flush(active)

    async def _flush(self, active: _Active) -> None:
        async with active.lock:
            chunk = bytes(active.pending)
            active.pending.clear()
            if chunk:
                await asyncio.to_thread(active.writer.writeframes, chunk)
                active.frames += len(chunk) // SAMPLE_WIDTH

    async def stop(self, call_id: str) -> RecordingInfo | None:
        active = self._active.pop(call_id, None)
        if active is None:
            return self._finished.get(call_id)
        await self._flush(active)
        await asyncio.to_thread(active.writer.close)
        info = replace(active.info, duration_seconds=active.frames / SAMPLE_RATE)
        self._finished[call_id] = info
        while len(self._finished) > MAX_FINISHED:  # only the recent calls await their transcript
            self._finished.pop(next(iter(self._finished)))
        return info

    async def audio(self, call_id: str) -> bytes | None:
        info = self._finished.get(call_id)
        if info is None or info.path is None:
            return None
        return await asyncio.to_thread(_read_pcm, info.path)

    async def close(self) -> None:
        for call_id in list(self._active):
            await self.stop(call_id)


def _read_pcm(path: Path) -> bytes:
    with wave.open(str(path), "rb") as wav:
        return wav.readframes(wav.getnframes())
