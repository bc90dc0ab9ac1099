"""False-cut rate: callers pausing mid-turn, streamed in real time through the voice pipeline (build_call,
embedded STT, webrtcvad). A false cut is a turn ended while the caller goes on: more utterances ended by
the endpointer than the item has turns.

Two kinds of item: espeak-ng halves joined by 300-900 ms of line noise (en and es), and turns of real
people with the pauses they made (tests/data/audio: a comma pause of ~200 ms, hesitations of 100-340 ms
inside a sentence, ~420 ms between two sentences of one turn; chat_input_1's ~960 ms between two
sentences is two turns). Two sets: ``tune`` (what turn completion was tuned on) and ``eval`` (phrasings
and recordings kept apart, measured once per change). Each line says how the turn was ended
(``complete``: a complete-phrase verdict; ``silence``: plain end silence; ``max_length``).

Run: ``python -m bench.false_cuts [--set tune|eval|all] [--languages en,es] [--complete-turn-silence-ms 250]
[--judge meaning|words]`` (``--judge words``: the words alone decide a phrase is complete, not the bot's
recognizer too; ``--complete-turn-silence-ms 0 --early-final-ms 300``: the silence-only endpointer of before).
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
from voice.call import VoiceEngines, build_call, default_endpointer
from voice.endpointer import Endpointer, EndpointEvent
from voice.frames import AudioFrame, SpeechEnded
from voice.settings import VoiceSettings
from voice.turn_completion import LexicalTurnCompletion, TurnCompletion, request_judge

AUDIO = Path(__file__).resolve().parents[1] / "tests" / "data" / "audio"
HALVES = {
    "tune": [
        ("en-US", "I want to", "block my debit card"),
        ("en-US", "what is the balance of", "my savings account"),
        ("en-US", "my card was stolen and", "I need a new one"),
        ("en-US", "can you tell me", "when my payment is due"),
        ("en-US", "I lost my", "credit card"),
        ("es-MX", "cuál es el saldo de", "mi cuenta de ahorros"),
        ("es-MX", "perdí mi", "tarjeta de crédito"),
        ("es-MX", "quiero saber", "cuándo vence mi pago"),
    ],
    "eval": [
        ("en-US", "I need to check", "the balance of my checking account"),
        ("en-US", "please send me", "a new debit card"),
        ("en-US", "how much do I owe on", "my credit card"),
        ("en-US", "I think someone used", "my card without permission"),
        ("es-MX", "necesito bloquear", "mi tarjeta de débito"),
        ("es-MX", "quiero saber el saldo de", "mi cuenta de cheques"),
    ],
}
REAL_TURNS = {
    # (file, start s, end s, turns, what is said): one speaker's turn with its own pauses (gaps found by
    # webrtcvad at 20 ms), cut from the recording between the speakers' turns.
    "tune": [
        ("katiesteve_mono.wav", 7.70, 9.05, 1, "No, | tell me more. (100 ms)"),
        (
            "katiesteve_mono.wav",
            9.20,
            14.70,
            1,
            "It's the new feature | that transcribes our discussion "
            "| and lets us know who | said what. (120-340 ms)",
        ),
        (
            "katiesteve_mono.wav",
            14.90,
            17.90,
            1,
            "That sounds interesting. | I'm going to give this a try. (420 ms)",
        ),
    ],
    "eval": [
        (
            "LanguageDetection_enUS.wav",
            0.0,
            6.50,
            1,
            "This is testing the language id with English language, "
            "| I hope I can get high confidence from language id. (200 ms)",
        ),
        (
            "chat_input_1.wav",
            0.0,
            5.30,
            2,
            "I really like animals. || Let's talk about working dogs. (960 ms: two turns)",
        ),
    ],
}
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

    async def on_speech_unrecognised(self, count: int) -> None:
        return None


class CountingEndpointer:
    """The endpointer every call gets (``default_endpointer``), counting the utterances it ends (however
    slow recognition is) and why."""

    def __init__(self, inner: Endpointer) -> None:
        self.inner = inner
        self.reasons: list[str] = []

    @property
    def in_speech(self) -> bool:
        return self.inner.in_speech

    @property
    def ends(self) -> int:
        return len(self.reasons)

    def feed(self, frame: AudioFrame) -> list[EndpointEvent]:
        events = self.inner.feed(frame)
        self.reasons += [e.reason for e in events if isinstance(e, SpeechEnded)]
        return events

    def end_silence_for(self, pause_seq: int, silence_ms: int) -> None:
        self.inner.end_silence_for(pause_seq, silence_ms)


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


def items(languages: str, which: str) -> list[tuple[str, str, bytes, int]]:
    """(name, locale, pcm, turns) of set ``which`` (``tune``, ``eval``, ``all``) for the languages asked."""
    from tests.support.speech_fixtures import make_speech_pcm

    sets = ("tune", "eval") if which == "all" else (which,)
    out = []
    for name in sets:
        for locale, first, second in HALVES[name]:
            if locale[:2] not in languages:
                continue
            a = make_speech_pcm(first, locale, trim=True, noise_db=LINE_NOISE_DB)
            b = make_speech_pcm(second, locale, trim=True, noise_db=LINE_NOISE_DB)
            for pause in PAUSES_MS:
                gap = line_noise(pause)
                out.append((f"{name} {first} / {pause} ms / {second}", locale, a + gap + b, 1))
        if "en" not in languages:
            continue
        for file, start, end, turns, said in REAL_TURNS[name]:
            with wave.open(str(AUDIO / file)) as recording:
                recording.setpos(int(start * recording.getframerate()))
                pcm = recording.readframes(int((end - start) * recording.getframerate()))
            out.append((f"{name} real {file}: {said}", "en-US", pcm, turns))
    return out


async def judge(kind: str, settings: Settings) -> TurnCompletion:
    """``meaning``: the app's judge (``request_judge``, as adapters/acs/media_ws.py builds it);
    ``words``: the words alone (build_call's default)."""
    if kind == "words":
        return LexicalTurnCompletion()
    from dialogs.registry import registered_intents
    from recognizers.factory import create_recognizer

    recognizer = create_recognizer(settings, registered_intents())
    await recognizer.warm_up()
    found = request_judge(recognizer, settings.routing.high_threshold)
    assert found is not None  # a recognizer was given
    return found


async def run(voice: VoiceSettings, languages: str, which: str, kind: str) -> tuple[int, int]:
    settings = Settings()
    stt = create_stt(settings)
    await stt.warm_up()  # type: ignore[attr-defined]
    completion = await judge(kind, settings)
    cuts = total = lost = 0
    for name, locale, pcm, expected in items(languages, which):
        heard = Heard()
        tts: TextToSpeech | None = None
        engines = VoiceEngines(stt, tts, voice)
        endpointer = CountingEndpointer(default_endpointer(engines))
        call = build_call(
            engines, NoSink(), heard, locale=locale, endpointer=endpointer, turn_completion=completion
        )
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
        ended = ",".join(endpointer.reasons)
        verdict = "CUT " if cut else "ok  "
        print(f"{verdict} {name}: {endpointer.ends} utterance(s) ended by {ended} {heard.utterances}")
    print(f"items whose words the recogniser gave no text for in time (cuts still counted): {lost}")
    return cuts, total


def main() -> None:
    defaults = VoiceSettings()
    parser = argparse.ArgumentParser()
    parser.add_argument("--complete-turn-silence-ms", type=int, default=defaults.complete_turn_silence_ms)
    parser.add_argument("--early-final-ms", type=int, default=defaults.early_final_ms)
    parser.add_argument("--end-silence-ms", type=int, default=defaults.end_silence_ms)
    parser.add_argument("--languages", default="en,es")
    parser.add_argument("--set", choices=("tune", "eval", "all"), default="all")
    parser.add_argument("--judge", choices=("meaning", "words"), default="meaning")
    args = parser.parse_args()
    voice = VoiceSettings(
        complete_turn_silence_ms=args.complete_turn_silence_ms,
        early_final_ms=args.early_final_ms,
        end_silence_ms=args.end_silence_ms,
    )
    cuts, total = asyncio.run(run(voice, args.languages, args.set, args.judge))
    print(
        f"\n{args.set} set: false cuts {cuts}/{total} = {100 * cuts / max(1, total):.1f} % (target <= 2 %); "
        f"complete_turn_silence={voice.complete_turn_silence_ms} ms, early_final={voice.early_final_ms} ms, "
        f"end_silence={voice.end_silence_ms} ms, judge={args.judge}, load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
