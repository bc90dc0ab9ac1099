"""``build_call()``: the one place a call's voice pipeline is assembled (media socket, tests, benchmarks).

Its list of stages is the path of a caller's words (docs/ARCHITECTURE.md has the picture):
caller PCM -> audio filters -> endpointer (VAD + turn completion) -> STT -> bot turn -> TTS -> paced sender.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.speech.base import SpeechToText, TextToSpeech
from voice.endpointer import Endpointer, Endpointing, IsSpeech, webrtc_vad
from voice.filters import AudioFilter, NoiseGate
from voice.frames import Say, TurnTiming
from voice.pipeline import CallHandler, CallPipeline, MediaSink
from voice.settings import VoiceSettings
from voice.stages.base import Stage
from voice.stages.bot_turn import BotTurnStage
from voice.stages.input import InputStage
from voice.stages.output import OutputStage
from voice.stages.recognition import RecognitionStage
from voice.turn_completion import LexicalTurnCompletion, TurnCompletion


@dataclass(frozen=True)
class VoiceEngines:
    """What every call of an app shares: the speech engines and the turn-taking settings."""

    stt: SpeechToText | None
    tts: TextToSpeech | None
    settings: VoiceSettings = field(default_factory=VoiceSettings)
    say_again: Callable[[str], Say] | None = None
    """The prompt, in a locale, for an utterance whose recognition failed, timed out or was shed (a fixed
    catalogue prompt, pre-rendered); None: such an utterance arms the no-input timer, like silence."""


def default_audio_filters(settings: VoiceSettings) -> list[AudioFilter]:
    """The filters settings ask for (``VOICE__NOISE_GATE_DBFS``); none by default."""
    if settings.noise_gate_dbfs is None:
        return []
    return [NoiseGate(settings.noise_gate_dbfs)]


def default_endpointer(engines: VoiceEngines, is_speech: IsSpeech | None = None) -> Endpointer:
    """The endpointer every call gets: webrtcvad (or ``is_speech``) and the settings' silences. With STT
    and turn completion on, every pause gets a verdict, so a pause waits for it (``awaits_verdict``)."""
    settings = engines.settings
    vad = is_speech or webrtc_vad(settings.vad_aggressiveness)
    judged = engines.stt is not None and settings.complete_turn_silence_ms > 0
    return Endpointer(settings, vad, awaits_verdict=judged)


def build_call(
    engines: VoiceEngines,
    sink: MediaSink,
    handler: CallHandler,
    *,
    call_id: str = "",
    locale: str | None = None,
    locale_known: bool = True,
    audio_filters: Sequence[AudioFilter] | None = None,
    is_speech: IsSpeech | None = None,
    endpointer: Endpointing | None = None,
    turn_completion: TurnCompletion | None = None,
    on_turn_timing: Callable[[TurnTiming], None] | None = None,
) -> CallPipeline:
    """One call's pipeline, not started. ``audio_filters`` replace the configured ones; ``is_speech``
    (a per-frame VAD) or a whole ``endpointer`` replace webrtcvad and the silence endpointer;
    ``turn_completion`` judges whether the words heard at a pause are a whole request. A stage of your
    own goes in the list below (every call) or into ``pipeline.stages`` before ``start()`` (one call)."""
    settings = engines.settings
    filters = default_audio_filters(settings) if audio_filters is None else list(audio_filters)
    stages: list[Stage[Any]] = [
        InputStage(settings, endpointer or default_endpointer(engines, is_speech), filters),
        RecognitionStage(engines.stt, turn_completion or LexicalTurnCompletion(), engines.say_again),
        # A speculative step (NLU on the early final, a bot turn begun at the pause) would go here.
        BotTurnStage(handler),
        OutputStage(engines.tts),
    ]
    return CallPipeline(
        stages,
        sink,
        settings,
        locale=locale,
        locale_known=locale_known,
        call_id=call_id,
        on_turn_timing=on_turn_timing,
    )
