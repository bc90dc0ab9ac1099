"""Embedded speech benchmark: WER per language, RTF, final latency after end of speech, TTS first frame.

``python -m bench.speech_wer`` (needs Debian's espeak-ng). Test phrases are in-domain banking requests
worded differently from the LM's training phrases; audio is espeak-ng speech with 300 ms of low noise
before and 600 ms after (what the endpointer hands over), pushed in 20 ms frames in real time. "Final
after end" is measured from the last frame of that 600 ms endpoint silence: what a caller waits for
once the endpointer has decided. RTF is the time spent inside push()/finish() per second of audio;
the CPU column counts all threads (whisper uses up to 4).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import unicodedata
from pathlib import Path

from bench.stats import percentile
from services.speech.embedded_stt import EmbeddedSpeechToText, build_engines
from services.speech.embedded_tts import EspeakTextToSpeech
from services.speech.vocabulary import load_vocabulary, normalize
from tests.support.speech_fixtures import frames, make_speech_pcm

TEST_PHRASES: dict[str, list[str]] = {
    "en-US": [
        "I lost my card",
        "my credit card was stolen",
        "please freeze my debit card",
        "what is the balance of my checking account",
        "how much money is in my savings",
        "I need to check my balance",
        "transfer money to my checking account",
        "I want to send money to my savings account",
        "connect me with an agent please",
        "I want to speak to a representative",
        "I want to report a fraud charge",
        "there is a charge on my card I do not recognize",
        "I want to pay my credit card",
        "where is the closest branch",
        "what time does the branch open",
        "I forgot my PIN number",
        "show me my recent transactions",
        "yes that is correct",
        "no thank you goodbye",
        "I want to block my credit card",
    ],
    "es-MX": [
        "perdí mi tarjeta",
        "me robaron mi tarjeta de crédito",
        "por favor bloquea mi tarjeta de débito",
        "cuál es el saldo de mi cuenta",
        "cuánto dinero tengo en mis ahorros",
        "necesito consultar mi saldo",
        "quiero transferir dinero a mi cuenta",
        "quiero enviar dinero a mi cuenta de ahorros",
        "comuníqueme con un agente por favor",
        "quiero hablar con un asesor",
        "quiero reportar un cargo fraudulento",
        "hay un cargo en mi tarjeta que no reconozco",
        "quiero pagar mi tarjeta de crédito",
        "dónde está la sucursal más cercana",
        "a qué hora abre la sucursal",
        "olvidé mi nip",
        "quiero ver mis últimos movimientos",
        "sí es correcto",
        "no gracias adiós",
        "quiero bloquear mi tarjeta de crédito",
    ],
}

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


async def bench_stt(stt: EmbeddedSpeechToText, locale: str, hinted: bool, paced: bool) -> dict[str, float]:
    errors = words = 0
    audio_s = wall_s = cpu_s = 0.0
    latencies: list[float] = []
    detected_ok = 0
    for text in TEST_PHRASES[locale]:
        pcm = make_speech_pcm(text, locale, lead_ms=300, trail_ms=600, noise_db=-70)
        stream = stt.open_stream(locale if hinted else None)
        started, cpu0 = time.perf_counter(), time.process_time()
        for i, frame in enumerate(frames(pcm)):
            if paced:  # real time, as a call delivers it: speculative work can use the endpoint silence
                await asyncio.sleep(max(0.0, started + i * 0.02 - time.perf_counter()))
            t_push = time.perf_counter()
            await stream.push(frame)
            wall_s += time.perf_counter() - t_push
        pushed = time.perf_counter()
        result = await stream.finish()
        done = time.perf_counter()
        await stream.close()
        e, n = word_errors(text, result.text)
        errors, words = errors + e, words + n
        audio_s += len(pcm) / 32000
        wall_s += done - pushed
        cpu_s += time.process_time() - cpu0
        latencies.append(done - pushed)
        detected_ok += result.language == locale
    n_utt = len(TEST_PHRASES[locale])
    return {
        "wer": errors / words,
        "rtf": wall_s / audio_s,
        "cpu_rtf": cpu_s / audio_s,
        "p50": percentile(latencies, 0.5),
        "p95": percentile(latencies, 0.95),
        "lang_ok": detected_ok / n_utt,
        "n": n_utt,
    }


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


async def main(rounds: int, no_hint: bool, paced: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        vocabulary = load_vocabulary(Path("cognitiveModels/banking.clu.json"))
        t0 = time.perf_counter()
        sphinx, whisper = await asyncio.to_thread(build_engines, Path(tmp), vocabulary)
        load_s = time.perf_counter() - t0
        stt = EmbeddedSpeechToText(Path(tmp), vocabulary=vocabulary, sphinx=sphinx, whisper=whisper)
        await asyncio.to_thread(whisper.transcribe, b"\x00\x00" * 16000, "es")  # warm-up
        print(f"vocabulary: {vocabulary.source}; engines loaded in {load_s:.1f} s")
        print(f"English LM: {sphinx.sentences} sentences, {sphinx.vocabulary_size} words, OOV: {sphinx.oov}")
        print()
        print(
            "| STT | locale hint | engine | utts | WER | language right | RTF | CPU s per audio s "
            "| final after end p50 / p95 |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for locale, engine in (("en-US", "pocketsphinx + domain LM"), ("es-MX", "faster-whisper base int8")):
            for hinted in (True, False) if no_hint else (True,):
                r = await bench_stt(stt, locale, hinted, paced)
                label = locale if hinted else "none (detect)"
                print(
                    f"| {locale} | {label} | {engine} | {r['n']} | {r['wer']:.2f} | {r['lang_ok']:.2f} | "
                    f"{r['rtf']:.3f} | {r['cpu_rtf']:.3f} | "
                    f"{r['p50'] * 1000:.0f} / {r['p95'] * 1000:.0f} ms |"
                )
        print()
        print("| TTS | locale | prompts | first frame p50 / p95 | RTF |")
        print("|---|---|---|---|---|")
        tts = EspeakTextToSpeech()
        for locale in ("en-US", "es-MX"):
            r = await bench_tts(tts, locale, rounds)
            print(
                f"| espeak-ng | {locale} | {r['n']} | {r['p50'] * 1000:.1f} / {r['p95'] * 1000:.1f} ms "
                f"| {r['rtf']:.3f} |"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tts-rounds", type=int, default=4, help="repetitions of the TTS prompt set")
    parser.add_argument("--no-hint", action="store_true", help="also run without a locale hint (detection)")
    parser.add_argument(
        "--fast", action="store_true", help="push audio as fast as possible, not in real time"
    )
    args = parser.parse_args()
    asyncio.run(main(args.tts_rounds, args.no_hint, not args.fast))
