"""Chooses the speech-to-text and text-to-speech implementations from settings (embedded by default)."""

from __future__ import annotations

from config import Settings, SpeechBackend
from services.speech.base import SpeechToText, TextToSpeech
from services.speech.vocabulary import load_vocabulary


def create_stt(settings: Settings) -> SpeechToText:
    """``settings.stt``: embedded (pocketsphinx + faster-whisper, offline) or azure (AI Speech)."""
    vocabulary = load_vocabulary(settings.clu_project_file)
    if settings.stt == SpeechBackend.AZURE:
        from services.speech.azure_auth import SpeechAuth
        from services.speech.azure_stt import AzureSpeechToText

        return AzureSpeechToText(
            SpeechAuth(settings.azure_speech), settings.supported_locales, phrase_hints=vocabulary.hints
        )
    from services.speech.embedded_stt import EmbeddedSpeechToText

    return EmbeddedSpeechToText(settings.data_dir, vocabulary=vocabulary)


def create_tts(settings: Settings) -> TextToSpeech:
    """``settings.tts``: embedded (espeak-ng, offline) or azure (neural voices ``voice_en``/``voice_es``)."""
    if settings.tts == SpeechBackend.AZURE:
        from services.speech.azure_auth import SpeechAuth
        from services.speech.azure_tts import AzureTextToSpeech

        return AzureTextToSpeech(SpeechAuth(settings.azure_speech), settings.voice_for)
    from services.speech.embedded_tts import EspeakTextToSpeech

    return EspeakTextToSpeech()
