"""VAD endpointer: 20 ms frames -> speech started / audio / paused / resumed / ended events."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Protocol

from services.speech.base import FRAME_BYTES, FRAME_MS
from services.speech.vad import WebRtcFrameClassifier
from voice.frames import (
    AudioFrame,
    SpeechAudio,
    SpeechEnded,
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
)
from voice.settings import VoiceSettings

IsSpeech = Callable[[bytes], bool]
EndpointEvent = SpeechStarted | SpeechAudio | SpeechPaused | SpeechResumed | SpeechEnded


class Endpointing(Protocol):
    """What the pipeline needs from an endpointer (inject another one through ``build_call``)."""

    in_speech: bool

    def feed(self, frame: AudioFrame) -> list[EndpointEvent]:
        """One 20 ms frame in; the events it completes out (start, audio, pause, resume, end)."""
        ...

    def end_silence_for(self, pause_seq: int, silence_ms: int) -> None:
        """The turn-completion verdict for pause ``pause_seq``: end it after ``silence_ms`` of silence."""
        ...


def webrtc_vad(aggressiveness: int = 2) -> IsSpeech:
    """A per-frame speech detector on webrtcvad with its energy floor: line noise quieter than −50 dBFS is
    silence whatever webrtcvad says (``WebRtcFrameClassifier``); a frame of the wrong size is not speech."""
    classify = WebRtcFrameClassifier(aggressiveness)

    def is_speech(pcm: bytes) -> bool:
        return len(pcm) == FRAME_BYTES and classify(pcm)

    return is_speech


class Endpointer:
    """Speech starts after ``speech_start_ms`` of voiced frames; ends after ``end_silence_ms`` unvoiced,
    or after the silence a turn-completion verdict on the pause asks for (``end_silence_for``).

    ``awaits_verdict``: a verdict will come for every pause (the pipeline judges the speculative final),
    so a pause is not ended on plain silence before it arrives, only at ``incomplete_turn_silence_ms`` if
    it never does. Ending sooner gains the caller nothing, since the reply needs that final text anyway,
    and it cut callers who paused longer than ``end_silence_ms`` while the final was still coming (a
    loaded box, Spanish on whisper-base)."""

    def __init__(self, settings: VoiceSettings, is_speech: IsSpeech, *, awaits_verdict: bool = False) -> None:
        self._is_speech = is_speech
        self._start_frames = max(1, settings.speech_start_ms // FRAME_MS)
        self._end_frames = max(1, settings.end_silence_ms // FRAME_MS)
        self._max_frames = max(1, settings.max_utterance_ms // FRAME_MS)
        early = settings.early_final_ms // FRAME_MS
        self._early_frames = early if 0 < early < self._end_frames else 0
        self._preroll: deque[AudioFrame] = deque(
            maxlen=max(self._start_frames, settings.preroll_ms // FRAME_MS)
        )
        self.in_speech = False
        self._voiced_run = 0
        self._silent_run = 0
        self._frames_in_utt = 0
        self._last_voice_at = 0.0
        self._pauses = 0
        self._paused = False
        self._default_end_frames = self._end_frames
        hold = max(self._end_frames, settings.incomplete_turn_silence_ms // FRAME_MS)
        self._hold_frames = hold if awaits_verdict and self._early_frames else 0
        self._verdict = ""

    def reset(self) -> None:
        self.in_speech = False
        self._voiced_run = self._silent_run = self._frames_in_utt = 0
        self._preroll.clear()
        self._resume()

    def _resume(self) -> None:
        self._paused = False
        self._end_frames, self._verdict = self._default_end_frames, ""

    def end_silence_for(self, pause_seq: int, silence_ms: int) -> None:
        if self._paused and pause_seq == self._pauses:
            self._end_frames = max(1, silence_ms // FRAME_MS)
            self._verdict = "complete" if self._end_frames < self._default_end_frames else ""

    def feed(self, frame: AudioFrame) -> list[EndpointEvent]:
        voiced = self._is_speech(frame.pcm)
        if not self.in_speech:
            self._preroll.append(frame)
            self._voiced_run = self._voiced_run + 1 if voiced else 0
            if self._voiced_run < self._start_frames:
                return []
            self.in_speech = True
            self._silent_run = 0
            self._last_voice_at = frame.at
            onset = list(self._preroll)[-self._start_frames]
            events: list[EndpointEvent] = [SpeechStarted(at=onset.at)]
            events.extend(SpeechAudio(f.pcm) for f in self._preroll)
            self._frames_in_utt = len(self._preroll)
            self._preroll.clear()
            return events
        self._frames_in_utt += 1
        out: list[EndpointEvent] = [SpeechAudio(frame.pcm)]
        if voiced:
            if self._early_frames and self._silent_run >= self._early_frames:
                out.append(SpeechResumed(frame.at))
                self._resume()
            self._silent_run = 0
            self._last_voice_at = frame.at
        else:
            self._silent_run += 1
            if self._silent_run == self._early_frames:
                self._pauses += 1
                self._paused = True
                self._end_frames = self._hold_frames or self._end_frames
                out.append(SpeechPaused(frame.at, self._pauses))
        if self._silent_run >= self._end_frames:
            out.append(SpeechEnded(self._verdict or "silence", self._last_voice_at, frame.at))
        elif self._frames_in_utt >= self._max_frames:
            out.append(SpeechEnded("max_length", self._last_voice_at, frame.at))
        else:
            return out
        self.reset()
        return out
