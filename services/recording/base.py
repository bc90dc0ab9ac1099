"""The recording port: start/stop a call recording, hand back its audio for the post-call transcript."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from services.handoff.journal import CallJournal


class RecordingError(Exception):
    """Base class for recording failures."""


class RecordingNotAllowed(RecordingError):
    """Recording was asked for a call whose caller was not told it may be recorded."""


class RecordingUnavailable(RecordingError):
    """The recording backend failed or timed out."""


@dataclass(frozen=True)
class RecordingInfo:
    call_id: str
    recording_id: str
    started_at: datetime
    path: Path | None = None
    """Local WAV file (embedded recorder only)."""
    duration_seconds: float = 0.0


def consent_given(journal: CallJournal) -> bool:
    """A call may be recorded only once the consent announcement was played."""
    return journal.recording_consent_announced


class CallRecorder(Protocol):
    async def start(self, journal: CallJournal) -> RecordingInfo:
        """Start recording the call; raises RecordingNotAllowed without the consent announcement."""
        ...

    async def write(self, call_id: str, pcm: bytes) -> None:
        """Feed call audio (16 kHz 16-bit mono); ignored when that call is not being recorded."""
        ...

    async def stop(self, call_id: str) -> RecordingInfo | None:
        """Stop and finalise; None when the call was not being recorded."""
        ...

    async def audio(self, call_id: str) -> bytes | None:
        """The finished recording as 16 kHz mono PCM, or None when it is not (yet) available."""
        ...
