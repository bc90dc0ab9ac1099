"""Chooses the recorder: ACS when Call Automation is configured, else the embedded WAV writer."""

from __future__ import annotations

from config import Settings
from services.recording.base import CallRecorder
from services.recording.embedded_recording import EmbeddedRecorder


def build_recorder(settings: Settings) -> CallRecorder:
    acs = settings.acs
    if acs.connection_string.get_secret_value() or acs.endpoint:
        from services.recording.azure_recording import AcsRecorder

        return AcsRecorder.from_settings(acs)
    return EmbeddedRecorder(settings.data_dir)
