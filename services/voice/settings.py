"""Turn-taking settings: the ``voice`` section of config.Settings (``VOICE__*`` variables)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from config import VoiceSettings

__all__ = ["VoiceSettings", "voice_settings_from"]


def voice_settings_from(settings: Any) -> VoiceSettings:
    """The ``voice`` section of the app settings when present, else the defaults."""
    found = getattr(settings, "voice", None)
    if isinstance(found, VoiceSettings):
        return found
    if isinstance(found, BaseModel):
        return VoiceSettings.model_validate(found.model_dump())
    return VoiceSettings()
