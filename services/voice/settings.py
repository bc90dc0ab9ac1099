"""Turn-taking settings (end-of-utterance silence, barge-in, no-input, DTMF); nestable in config.Settings."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class VoiceSettings(BaseModel):
    """Defaults follow common IVR practice (Lex: 13 s max speech; ~600 ms end silence)."""

    end_silence_ms: int = 600
    early_final_ms: int = 300
    """Silence after which STT finalises speculatively (0 = off); must be below ``end_silence_ms``."""
    speech_start_ms: int = 60
    """Voiced audio needed before an utterance (and a barge-in) starts."""
    preroll_ms: int = 300
    """Audio kept from before the detected start, so the first syllable reaches STT."""
    vad_aggressiveness: int = 2
    max_utterance_ms: int = 13_000
    no_input_seconds: float = 7.0
    barge_in: bool = True
    dtmf_terminator: str = "#"
    dtmf_max_digits: int = 12
    dtmf_interdigit_ms: int = 3_000
    stt_timeout_seconds: float = 10.0
    softphone_enabled: bool = True
    """The browser softphone and simulator (anyone can claim any caller number there: off in production)."""
    max_calls: int = 200
    """Media sockets one instance accepts at once; more are refused with 503."""
    gc_freeze_on_startup: bool = True
    """``gc.freeze()`` once the app has loaded its models: full collections then skip the long-lived heap
    (halved p99 frame lateness at 100 calls in bench/voice_calls)."""
    playback_lead_frames: int = 3
    """Frames sent ahead of real time (jitter margin); StopAudio cuts whatever the far side buffered."""


def voice_settings_from(settings: Any) -> VoiceSettings:
    """The ``voice`` section of the app settings when present, else the defaults."""
    found = getattr(settings, "voice", None)
    if isinstance(found, VoiceSettings):
        return found
    if isinstance(found, BaseModel):
        return VoiceSettings.model_validate(found.model_dump())
    return VoiceSettings()
