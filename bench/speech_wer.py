"""Embedded speech benchmark: WER and intent accuracy from audio per language, voice, speed and band.

``python -m bench.speech_wer`` (needs Debian's espeak-ng). Phrases: ``tests/data/speech_eval.jsonl``
(written for evaluation, never tuned on; ``--set tuning`` for the tuning set). Each is spoken by
several espeak-ng voices, speeds and pitches, at 16 kHz and through an 8 kHz telephone band (down to
8 kHz and back up, as a phone call arrives), with 300 ms of low noise before and the endpoint silence
after. Intent accuracy: the embedded recognizer on the transcript gives the phrase's intent with a
score at or above ROUTING__CONFIRM_THRESHOLD (None: no business intent that high), as
``bench/routing.py`` counts it; "from text" is the same on the written phrase, the ceiling.

Accuracy rows push audio as fast as possible and wait for every pass (the English second pass
included). The latency rows push in real time, as a call does, with the engine's real-time policy
(a second pass not ready ``EMBEDDED_STT__SECOND_PASS_BUDGET_MS`` after the end of speech is not used):
"final after end" runs from the last frame of the endpoint silence to the final result; their WER and
intent figures are what a caller got under the machine's load. CPU counts all threads per utterance.
``--no-second-pass``: pocketsphinx alone for English (the figures before the second pass).
Real speech rows: ``tests/data/audio`` (see its README), WER only. Timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import unicodedata
import wave
from dataclasses import dataclass
from pathlib import Path

from bench.stats import percentile
from config import get_settings
from locales.languages import codes, locale_of, locales
from recognizers.base import top_intent
from recognizers.embedded_recognizer import EmbeddedRecognizer
from services.speech.embedded_stt import EmbeddedSpeechToText, build_engines, build_english_pass
from services.speech.embedded_tts import EspeakTextToSpeech
from services.speech.vocabulary import load_vocabulary, normalize
from tests.support.speech_fixtures import frames, make_speech_pcm, telephone_band

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
SETS = {"eval": DATA / "speech_eval.jsonl", "tuning": DATA / "speech_tuning.jsonl"}
REAL_SPEECH = {
    "LanguageDetection_enUS.wav": "this is testing the language id with english language "
    "i hope i can get high confidence from language id",
    "chat_input_1.wav": "i really like animals let's talk about working dogs",
}


@dataclass(frozen=True)
class Voice:
    lang: str
    voice: str
    speed: int = 160
    pitch: int = 50
    phone: bool = False

    @property
    def label(self) -> str:
        band = "8 kHz phone" if self.phone else "16 kHz"
        return f"{self.voice} s{self.speed} p{self.pitch}, {band}"


VOICES = (
    Voice("en", "en-us"),
    Voice("en", "en-us", phone=True),
    Voice("en", "en-us+f3", 190, 70, phone=True),
    Voice("en", "en-us", 125, 35, phone=True),
    Voice("en", "en-gb-x-rp"),
    Voice("en", "en-gb-scotland", phone=True),
    Voice("es", "es-419"),
    Voice("es", "es-419", phone=True),
    Voice("es", "es-419+f3", 190, 70, phone=True),
    Voice("es", "es-419", 125, 35, phone=True),
    Voice("es", "es"),
    Voice("es", "es", phone=True),
)
LATENCY_VOICES = (Voice("en", "en-us", phone=True), Voice("es", "es-419", phone=True))

TTS_PROMPTS = {
    "en-US": [
        "Welcome to Contoso Bank. How can I help you today?",
        "Your card ending in four two one seven has been blocked.",
        "Your checking account balance is one thousand two hundred dollars.",
        "Please enter your PIN followed by the pound key.",
        "I'm transferring you to an agent now. Please hold.",
    ],
    "es-MX": [
        "Bienvenido a Banco Contoso. ¿En qué puedo ayudarle hoy?",
        "Su tarjeta con terminación cuatro dos uno siete ha sido bloqueada.",
        "El saldo de su cuenta de cheques es de mil doscientos pesos.",
        "Por favor ingrese su NIP seguido de la tecla de número.",
        "Lo comunico con un agente. Por favor espere.",
    ],
}


def _fold(text: str) -> list[str]:
    """Normalised, accent-insensitive words (whisper drops or adds accents inconsistently)."""
    plain = unicodedata.normalize("NFKD", normalize(text))
    return "".join(c for c in plain if not unicodedata.combining(c)).split()


def word_errors(ref: str, hyp: str) -> tuple[int, int]:
    """(edit distance in words, reference length)."""
    r, h = _fold(ref), _fold(hyp)
    row = list(range(len(h) + 1))
    for i, rw in enumerate(r, 1):
        prev, row[0] = row[0], i
        for j, hw in enumerate(h, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (rw != hw))
    return row[-1], len(r)


def load_phrases(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class IntentJudge:
    """Whether a transcript reaches the phrase's intent, as the router would take it."""

    def __init__(self, recognizer: EmbeddedRecognizer, confirm_threshold: float) -> None:
        self._recognizer, self._threshold = recognizer, confirm_threshold

    async def right(self, text: str, lang: str, gold: str) -> bool:
        intent, score = top_intent(await self._recognizer.recognize_text(text, locale_of(lang)))
        routed = intent if score >= self._threshold else "None"
        return routed == gold


@dataclass
class Tally:
    errors: int = 0
    words: int = 0
    intent_ok: int = 0
    text_ok: int = 0
    n: int = 0

    def add(self, ref: str, hyp: str, intent_ok: bool, text_ok: bool) -> None:
        e, w = word_errors(ref, hyp)
        self.errors, self.words, self.n = self.errors + e, self.words + w, self.n + 1
        self.intent_ok += intent_ok
        self.text_ok += text_ok


def speak(phrase: str, voice: Voice, trail_ms: int) -> bytes:
    pcm = make_speech_pcm(
        phrase, voice.lang, lead_ms=300, trail_ms=trail_ms, noise_db=-70, speed=voice.speed,
        pitch=voice.pitch, voice=voice.voice,
    )  # fmt: skip
    return telephone_band(pcm) if voice.phone else pcm


async def run_stream(
    stt: EmbeddedSpeechToText, pcm: bytes, locale: str, paced: bool
) -> tuple[str, float, float]:
    """(final text, seconds from the last pushed frame to the final result, CPU seconds)."""
    stream = stt.open_stream(locale)
    started, cpu0 = time.perf_counter(), time.process_time()
    for i, frame in enumerate(frames(pcm)):
        if paced:  # real time, as a call delivers it: speculative work can use the endpoint silence
            await asyncio.sleep(max(0.0, started + i * 0.02 - time.perf_counter()))
        await stream.push(frame)
    pushed = time.perf_counter()
    result = await stream.finish()
    after_end = time.perf_counter() - pushed
    await stream.close()
    return result.text, after_end, time.process_time() - cpu0


async def accuracy(
    stt: EmbeddedSpeechToText, judge: IntentJudge, phrases: list[dict[str, str]], voice: Voice, trail_ms: int
) -> Tally:
    tally = Tally()
    for row in (r for r in phrases if r["lang"] == voice.lang):
        text, _, _ = await run_stream(stt, speak(row["text"], voice, trail_ms), locale_of(voice.lang), False)
        ok = await judge.right(text, voice.lang, row["intent"])
        tally.add(row["text"], text, ok, await judge.right(row["text"], voice.lang, row["intent"]))
    return tally


async def latency(
    stt: EmbeddedSpeechToText, judge: IntentJudge, phrases: list[dict[str, str]], voice: Voice, trail_ms: int
) -> tuple[Tally, list[float], list[float]]:
    tally, waits, cpus = Tally(), [], []
    for row in (r for r in phrases if r["lang"] == voice.lang):
        text, wait, cpu = await run_stream(
            stt, speak(row["text"], voice, trail_ms), locale_of(voice.lang), True
        )
        tally.add(row["text"], text, await judge.right(text, voice.lang, row["intent"]), False)
        waits.append(wait)
        cpus.append(cpu)
    return tally, waits, cpus


def read_wav(path: Path) -> bytes:
    with wave.open(str(path)) as wav:
        return wav.readframes(wav.getnframes())


async def real_speech(stt: EmbeddedSpeechToText, trail_ms: int, phone: bool) -> tuple[int, int, list[str]]:
    errors = words = 0
    heard = []
    for name, ref in REAL_SPEECH.items():
        pcm = read_wav(DATA / "audio" / name) + b"\x00\x00" * (16 * trail_ms)
        text, _, _ = await run_stream(stt, telephone_band(pcm) if phone else pcm, "en-US", False)
        e, w = word_errors(ref, text)
        errors, words = errors + e, words + w
        heard.append(text)
    return errors, words, heard


async def bench_tts(tts: EspeakTextToSpeech, locale: str, rounds: int) -> dict[str, float]:
    first: list[float] = []
    synth_s = audio_s = 0.0
    for _ in range(rounds):
        for text in TTS_PROMPTS[locale]:
            started = time.perf_counter()
            n = 0
            async for _frame in tts.synthesize(text, locale):
                if n == 0:
                    first.append(time.perf_counter() - started)
                n += 1
            synth_s += time.perf_counter() - started
            audio_s += n * 0.02
    return {
        "p50": percentile(first, 0.5),
        "p95": percentile(first, 0.95),
        "rtf": synth_s / audio_s,
        "n": len(first),
    }


async def main(args: argparse.Namespace) -> None:
    settings = get_settings()
    trail_ms = args.end_silence_ms
    phrases = load_phrases(SETS[args.set])
    with tempfile.TemporaryDirectory() as tmp:
        vocabulary = load_vocabulary(Path("cognitiveModels/banking.clu.json"))
        t0 = time.perf_counter()
        sphinx, whisper = await asyncio.to_thread(build_engines, Path(tmp), vocabulary)
        english = None if args.no_second_pass else await asyncio.to_thread(build_english_pass, vocabulary)

        def engine(wait_ms: int | None) -> EmbeddedSpeechToText:
            return EmbeddedSpeechToText(
                Path(tmp), vocabulary=vocabulary, sphinx=sphinx, whisper=whisper, english_pass=english,
                english_second_pass=english is not None, second_pass_budget_ms=wait_ms,
            )  # fmt: skip

        stt, live = engine(None), engine(settings.embedded_stt.second_pass_budget_ms)
        await stt.warm_up()
        recognizer = EmbeddedRecognizer(settings.clu_project_file, settings.nlu_cache_dir)
        await recognizer.warm_up()
        judge = IntentJudge(recognizer, settings.routing.confirm_threshold)
        ready_s = time.perf_counter() - t0
        print(f"set: {args.set}; engines and NLU ready in {ready_s:.1f} s; end silence {trail_ms} ms")
        print()
        print("| lang | voice, speed, pitch, band | utts | WER | intent from audio | intent from text |")
        print("|---|---|---|---|---|---|")
        for voice in () if args.latency_only else VOICES:
            if args.lang and voice.lang != args.lang:
                continue
            t = await accuracy(stt, judge, phrases, voice, trail_ms)
            print(
                f"| {voice.lang} | {voice.label} | {t.n} | {t.errors / t.words:.3f} | "
                f"{t.intent_ok / t.n:.2f} | {t.text_ok / t.n:.2f} |",
                flush=True,
            )
        if args.lang in (None, "en") and not args.latency_only:
            print()
            print("| real human speech (tests/data/audio) | band | WER | heard |")
            print("|---|---|---|---|")
            for phone in (False, True):
                e, w, heard = await real_speech(stt, trail_ms, phone)
                band = "8 kHz phone" if phone else "16 kHz"
                print(f"| 2 clips, 11.8 s | {band} | {e / w:.3f} | {' / '.join(heard)} |", flush=True)
        print()
        print("| real time | voice | utts | WER | intent from audio | final after end p50 / p95 | CPU p50 |")
        print("|---|---|---|---|---|---|---|")
        for voice in LATENCY_VOICES:
            if args.lang and voice.lang != args.lang:
                continue
            t, waits, cpus = await latency(live, judge, phrases, voice, trail_ms)
            print(
                f"| {voice.lang} | {voice.label} | {t.n} | {t.errors / t.words:.3f} | "
                f"{t.intent_ok / t.n:.2f} | {percentile(waits, 0.5) * 1000:.0f} / "
                f"{percentile(waits, 0.95) * 1000:.0f} ms | "
                f"{percentile(cpus, 0.5) * 1000:.0f} ms |",
                flush=True,
            )
        await stt.close()
        if args.tts_rounds:
            print()
            print("| TTS | locale | prompts | first frame p50 / p95 | RTF |")
            print("|---|---|---|---|---|")
            tts = EspeakTextToSpeech()
            for locale in locales():
                r = await bench_tts(tts, locale, args.tts_rounds)
                print(
                    f"| espeak-ng | {locale} | {r['n']} | {r['p50'] * 1000:.1f} / {r['p95'] * 1000:.1f} ms "
                    f"| {r['rtf']:.3f} |"
                )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--set", choices=sorted(SETS), default="eval", help="phrase set (tune on 'tuning' only)"
    )
    parser.add_argument(
        "--no-second-pass", action="store_true", help="English on pocketsphinx alone (before)"
    )
    parser.add_argument("--latency-only", action="store_true", help="only the real-time rows")
    parser.add_argument("--lang", choices=sorted(codes()), help="one language only")
    parser.add_argument(
        "--end-silence-ms", type=int, default=600, help="silence after speech (the endpoint wait)"
    )
    parser.add_argument(
        "--tts-rounds", type=int, default=4, help="repetitions of the TTS prompt set (0: skip)"
    )
    asyncio.run(main(parser.parse_args()))
