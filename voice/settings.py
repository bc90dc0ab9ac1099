"""Turn-taking settings: the ``voice`` section of config.Settings (``VOICE__*`` variables)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from config import VoiceSettings

__all__ = ["VoiceSettings", "softphone_on", "voice_settings_from"]


def voice_settings_from(settings: Any) -> VoiceSettings:
    """The ``voice`` section of the app settings when present, else the defaults."""
    found = getattr(settings, "voice", None)
    if isinstance(found, VoiceSettings):
        return found
    if isinstance(found, BaseModel):
        return VoiceSettings.model_validate(found.model_dump())
    return VoiceSettings()


def softphone_on(settings: Any) -> bool:
    """Whether the softphone is served: ``Settings.softphone_on`` (off in production unless enabled)."""
    switch = getattr(settings, "softphone_on", None)
    if isinstance(switch, bool):
        return switch
    return voice_settings_from(settings).softphone_enabled is not False
