"""Immutable frames and events that flow between the pipeline's stages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum


class InputHint(str, Enum):
    """Bot Framework input hints (plus the telephony channel's DTMF-only/speech-only literals)."""

    ACCEPTING = "acceptingInput"
    EXPECTING = "expectingInput"
    IGNORING = "ignoringInput"
    IGNORING_SPEECH = "ignoringSpeechInput"
    IGNORING_NON_SPEECH = "ignoringNonSpeechInput"

    @classmethod
    def parse(cls, value: str | None) -> InputHint:
        try:
            return cls(value) if value else cls.ACCEPTING
        except ValueError:
            return cls.ACCEPTING


@dataclass(frozen=True, slots=True)
class AudioFrame:
    """20 ms of 16 kHz mono PCM from the caller, stamped with its arrival (monotonic seconds)."""

    pcm: bytes
    at: float


@dataclass(frozen=True, slots=True)
class DtmfFrame:
    digit: str
    at: float


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    at: float
    """Arrival time of the first voiced frame of the onset."""


@dataclass(frozen=True, slots=True)
class SpeechAudio:
    pcm: bytes


@dataclass(frozen=True, slots=True)
class SpeechPaused:
    """``early_final_ms`` of silence inside an utterance: STT may finalise speculatively."""

    at: float
    seq: int = 0
    """Which pause of the call this is: a turn-completion verdict applies to its own pause only."""


@dataclass(frozen=True, slots=True)
class SpeechResumed:
    at: float


@dataclass(frozen=True, slots=True)
class SpeechEnded:
    reason: str
    """``silence``, ``complete`` (a complete phrase, after the short silence) or ``max_length``."""
    last_voice_at: float
    decided_at: float


@dataclass(frozen=True, slots=True)
class Say:
    """One bot prompt to speak: SSML or plain text, with its language and input hint."""

    text: str
    locale: str
    hint: InputHint = InputHint.ACCEPTING
    display_text: str = ""


@dataclass(frozen=True, slots=True)
class CallAction:
    """A call-control step (transfer, hang-up) run in order after the prompts queued before it."""

    name: str
    run: Callable[[], Awaitable[None]] = field(compare=False)


@dataclass(frozen=True, slots=True)
class UtteranceTurn:
    """A recognised caller utterance, ready for the bot."""

    text: str
    language: str
    timing: TurnTiming


@dataclass(frozen=True, slots=True)
class DtmfTurn:
    """A completed key sequence (terminator, max length or inter-digit pause)."""

    digits: str


@dataclass(frozen=True, slots=True)
class SilenceTurn:
    """The no-input timer fired: the ``count``-th reprompt, stale if the caller spoke since ``onsets``."""

    count: int
    onsets: int


@dataclass(frozen=True, slots=True)
class UnrecognisedTurn:
    """The ``count``-th utterance in a row whose recognition failed: the bot hands the call over."""

    count: int


@dataclass(frozen=True, slots=True)
class CallbackTurn:
    """A bot turn of the call's own (call start, a transfer's outcome), run in order with the others."""

    run: Callable[[], Awaitable[None]] = field(compare=False)


TurnFrame = UtteranceTurn | DtmfTurn | SilenceTurn | UnrecognisedTurn | CallbackTurn
"""What the turn stage takes: one bot turn each."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What the output stage takes: a prompt or action, the turn it answers, the caller onsets it saw."""

    item: Say | CallAction
    timing: TurnTiming | None
    onsets: int


@dataclass(slots=True)
class TurnTiming:
    """Where the time went between the end of caller speech and the first reply frame (seconds)."""

    last_voice_at: float = 0.0
    endpoint_at: float = 0.0
    stt_done_at: float = 0.0
    bot_reply_at: float = 0.0
    first_frame_at: float = 0.0
    text: str = ""

    def as_ms(self) -> dict[str, float]:
        def ms(a: float, b: float) -> float:
            return round((b - a) * 1000, 1) if a and b else -1.0

        return {
            "endpointing_ms": ms(self.last_voice_at, self.endpoint_at),
            "stt_ms": ms(self.endpoint_at, self.stt_done_at),
            "bot_ms": ms(self.stt_done_at, self.bot_reply_at),
            "tts_first_frame_ms": ms(self.bot_reply_at, self.first_frame_at),
            "voice_to_voice_ms": ms(self.last_voice_at, self.first_frame_at),
        }
