"""Chooses the speech-to-text and text-to-speech implementations from settings (embedded by default)."""

from __future__ import annotations

from config import Settings, SpeechBackend
from core.resilience import twin_fallback
from services.speech.base import SpeechToText, TextToSpeech
from services.speech.vocabulary import DomainVocabulary, load_vocabulary


def create_stt(settings: Settings) -> SpeechToText:
    """``settings.stt``: embedded (pocketsphinx + faster-whisper, offline) or azure (AI Speech, with the
    embedded engine as its twin when it fails mid-call)."""
    vocabulary = load_vocabulary(settings.clu_project_file)
    if settings.stt == SpeechBackend.AZURE:
        from services.speech.azure_auth import SpeechAuth
        from services.speech.azure_stt import AzureSpeechToText
        from services.speech.fallback import FallbackSpeechToText

        azure = AzureSpeechToText(
            SpeechAuth(settings.azure_speech), settings.supported_locales, phrase_hints=vocabulary.hints
        )
        twin = embedded_stt(settings, vocabulary)
        return FallbackSpeechToText(azure, twin, twin_fallback("speech-to-text", settings))
    return embedded_stt(settings, vocabulary)


def embedded_stt(settings: Settings, vocabulary: DomainVocabulary) -> SpeechToText:
    """The offline recogniser with its English second pass as configured (``settings.embedded_stt``)."""
    from services.speech.embedded_stt import EmbeddedSpeechToText

    return EmbeddedSpeechToText(
        settings.data_dir,
        vocabulary=vocabulary,
        english_second_pass=settings.embedded_stt.english_second_pass,
        second_pass_budget_ms=settings.embedded_stt.second_pass_budget_ms,
        max_decode_wait_ms=settings.embedded_stt.max_decode_wait_ms,
        # A decoder per call the instance carries (phone and softphone), built before /readyz.
        streams_at_once=settings.voice.max_calls + settings.voice.max_softphone_calls,
    )


def create_tts(settings: Settings) -> TextToSpeech:
    """``settings.tts``: embedded (espeak-ng, offline) or azure (neural voices, ``settings.voice_for``,
    espeak-ng as the twin)."""
    if settings.tts == SpeechBackend.AZURE:
        from services.speech.azure_auth import SpeechAuth
        from services.speech.azure_tts import AzureTextToSpeech
        from services.speech.embedded_tts import EspeakTextToSpeech
        from services.speech.fallback import FallbackTextToSpeech

        azure = AzureTextToSpeech(SpeechAuth(settings.azure_speech), settings.voice_for)
        return FallbackTextToSpeech(azure, EspeakTextToSpeech(), twin_fallback("text-to-speech", settings))
    from services.speech.embedded_tts import EspeakTextToSpeech

    return EspeakTextToSpeech()
