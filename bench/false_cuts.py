"""False-cut rate: callers pausing mid-sentence (espeak-ng halves joined by 300-900 ms of line noise, en and
es) and a real recording with a pause between two sentences, streamed in real time through the voice
pipeline (build_call, embedded STT, webrtcvad). A false cut is an utterance ended inside a sentence: more
utterances ended by the endpointer than the item has sentences.

Run: ``python -m bench.false_cuts [--languages en,es] [--complete-turn-silence-ms 250]``
(``--complete-turn-silence-ms 0 --early-final-ms 300``: the silence-only endpointer of before).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import wave
from pathlib import Path

import numpy as np

from config import Settings
from services.speech.base import FRAME_BYTES, TextToSpeech
from services.speech.factory import create_stt
from voice.call import VoiceEngines, build_call
from voice.endpointer import Endpointer, EndpointEvent, webrtc_vad
from voice.frames import AudioFrame, SpeechEnded
from voice.settings import VoiceSettings

REAL = Path(__file__).resolve().parents[1] / "tests" / "data" / "audio" / "chat_input_1.wav"
HALVES = [
    ("en-US", "I want to", "block my debit card"),
    ("en-US", "what is the balance of", "my savings account"),
    ("en-US", "my card was stolen and", "I need a new one"),
    ("en-US", "can you tell me", "when my payment is due"),
    ("en-US", "I lost my", "credit card"),
    ("es-MX", "cuál es el saldo de", "mi cuenta de ahorros"),
    ("es-MX", "perdí mi", "tarjeta de crédito"),
    ("es-MX", "quiero saber", "cuándo vence mi pago"),
]
PAUSES_MS = (300, 500, 700, 900)
LINE_NOISE_DB = -60


class Heard:
    def __init__(self) -> None:
        self.utterances: list[str] = []

    async def on_utterance(self, text: str, language: str) -> None:
        self.utterances.append(text)

    async def on_dtmf(self, digits: str) -> None:
        return None

    async def on_silence_timeout(self, count: int) -> None:
        return None


class CountingEndpointer(Endpointer):
    """The pipeline's endpointer, counting the utterances it ends (however slow recognition is)."""

    ends = 0

    def feed(self, frame: AudioFrame) -> list[EndpointEvent]:
        events = super().feed(frame)
        self.ends += sum(isinstance(e, SpeechEnded) for e in events)
        return events


class NoSink:
    async def send_audio(self, pcm: bytes) -> None:
        return None

    async def stop_audio(self) -> None:
        return None

    async def send_event(self, kind: str, body: dict[str, object]) -> None:
        return None


def line_noise(ms: int) -> bytes:
    """White noise at LINE_NOISE_DB below full scale: a line's silence is never digital zero."""
    samples = np.random.default_rng(ms).normal(0, 32768 * 10 ** (LINE_NOISE_DB / 20), 16 * ms)
    return samples.astype("<i2").tobytes()


def items(languages: str) -> list[tuple[str, str, bytes, int]]:
    """(name, locale, pcm, utterances expected) for the languages asked (``en``, ``es``, ``en,es``)."""
    from tests.support.speech_fixtures import make_speech_pcm

    out = []
    for locale, first, second in HALVES:
        if locale[:2] not in languages:
            continue
        a = make_speech_pcm(first, locale, trim=True, noise_db=LINE_NOISE_DB)
        b = make_speech_pcm(second, locale, trim=True, noise_db=LINE_NOISE_DB)
        for pause in PAUSES_MS:
            gap = line_noise(pause)
            out.append((f"{first} / {pause} ms / {second}", locale, a + gap + b, 1))
    with wave.open(str(REAL)) as recording:
        out.append(("chat_input_1.wav (real, 2 sentences)", "en-US", recording.readframes(10**7), 2))
    return out


async def run(voice: VoiceSettings, languages: str) -> tuple[int, int]:
    stt = create_stt(Settings())
    await stt.warm_up()  # type: ignore[attr-defined]
    cuts = total = lost = 0
    for name, locale, pcm, expected in items(languages):
        heard = Heard()
        tts: TextToSpeech | None = None
        endpointer = CountingEndpointer(voice, webrtc_vad(voice.vad_aggressiveness))
        engines = VoiceEngines(stt, tts, voice)
        call = build_call(engines, NoSink(), heard, locale=locale, endpointer=endpointer)
        call.start()
        tail = line_noise(1500)
        audio = pcm + tail
        start = time.monotonic()
        for n, i in enumerate(range(0, len(audio) - FRAME_BYTES + 1, FRAME_BYTES)):
            call.push_audio(audio[i : i + FRAME_BYTES])
            await asyncio.sleep(max(0.0, start + (n + 1) * 0.02 - time.monotonic()))
        for _ in range(60):  # recognition can lag on a loaded box: wait for it, not for a fixed time
            if len(heard.utterances) >= endpointer.ends:
                break
            await asyncio.sleep(0.1)
        await call.close()
        cut = endpointer.ends > expected
        if not heard.utterances:
            lost += 1  # the recogniser gave no text in time (slow or failed): reported, still counted
        cuts, total = cuts + cut, total + 1
        print(f"{'CUT ' if cut else 'ok  '} {name}: {endpointer.ends} utterance(s) {heard.utterances}")
    print(f"items whose words the recogniser gave no text for in time (cuts still counted): {lost}")
    return cuts, total


def main() -> None:
    defaults = VoiceSettings()
    parser = argparse.ArgumentParser()
    parser.add_argument("--complete-turn-silence-ms", type=int, default=defaults.complete_turn_silence_ms)
    parser.add_argument("--early-final-ms", type=int, default=defaults.early_final_ms)
    parser.add_argument("--end-silence-ms", type=int, default=defaults.end_silence_ms)
    parser.add_argument("--languages", default="en,es")
    args = parser.parse_args()
    voice = VoiceSettings(
        complete_turn_silence_ms=args.complete_turn_silence_ms,
        early_final_ms=args.early_final_ms,
        end_silence_ms=args.end_silence_ms,
    )
    cuts, total = asyncio.run(run(voice, args.languages))
    print(
        f"\nfalse cuts {cuts}/{total} = {100 * cuts / max(1, total):.1f} % (target <= 2 %); "
        f"complete_turn_silence={voice.complete_turn_silence_ms} ms, early_final={voice.early_final_ms} ms, "
        f"end_silence={voice.end_silence_ms} ms, load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
