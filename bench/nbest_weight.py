"""Choose the domain-LM weight of the English n-best rescoring (``services/speech/nbest.py``) on tuning clips.

``python -m bench.nbest_weight``: the English phrases of ``tests/data/speech_tuning.jsonl`` and of the NLU
dev set (``tests/data/nlu_dev.jsonl``: phrasings the LM was not built from), spoken by bench.speech_wer's
English voices, are decoded once by whisper tiny.en's short window with all of the beam's readings; each
weight then picks one reading per clip. Prints WER and intent accuracy (as bench.speech_wer judges it) per
weight and band, and how many clips each weight changed. Never run on the held-out speech set.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

import numpy as np

from bench.speech_wer import DATA, SETS, VOICES, IntentJudge, Tally, load_phrases, speak
from config import get_settings
from recognizers.embedded_recognizer import EmbeddedRecognizer
from services.speech.embedded_stt import build_english_pass
from services.speech.nbest import DomainLM, Reading, rescore
from services.speech.vocabulary import load_vocabulary

WEIGHTS = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5)


async def main(args: argparse.Namespace) -> None:
    settings = get_settings()
    vocabulary = load_vocabulary(settings.clu_project_file)
    english = build_english_pass(vocabulary)
    lm = DomainLM(vocabulary.for_language("en"))
    recognizer = EmbeddedRecognizer(settings.clu_project_file, settings.nlu_cache_dir)
    await recognizer.warm_up()
    judge = IntentJudge(recognizer, settings.routing.confirm_threshold)
    rows = [r for r in load_phrases(SETS["tuning"]) if r["lang"] == "en"]
    if not args.speech_only:
        rows += [r for r in load_phrases(DATA / "nlu_dev.jsonl") if r["lang"] == "en"]
    voices = [v for v in VOICES if v.lang == "en" and (v.phone or not args.phone_only)]
    clips: list[tuple[str, dict[str, str], list[Reading] | None]] = []
    decode_s: list[float] = [0.0]
    if args.cache and Path(args.cache).is_file():  # the decodes of an earlier run: only the weights change
        for band, row, readings in json.loads(Path(args.cache).read_text()):
            clips.append((band, row, None if readings is None else [Reading(*r) for r in readings]))
        voices = []
    for voice in voices:
        band = "8 kHz" if voice.phone else "16 kHz"
        for row in rows:
            pcm = speak(row["text"], voice, 600)
            audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
            started = time.perf_counter()
            decoded = english.short_readings(audio, "en", args.hypotheses)
            decode_s.append(time.perf_counter() - started)
            clips.append((band, row, decoded[0] if decoded else None))
    if args.cache and voices:
        cached = [(b, r, None if x is None else [(y.text, y.logprob) for y in x]) for b, r, x in clips]
        Path(args.cache).write_text(json.dumps(cached))
    print(f"{len(clips)} clips, {len(rows)} phrases x {len(voices)} voices; decode p50 "
          f"{np.percentile(decode_s, 50) * 1000:.0f} ms")  # fmt: skip
    print("| weight | band | clips | WER | intent from audio | changed |")
    print("|---|---|---|---|---|---|")
    for weight in args.weights:
        for band in ("16 kHz", "8 kHz"):
            tally, changed = Tally(), 0
            for clip_band, row, readings in clips:
                if clip_band != band:
                    continue
                if readings is None:
                    text = ""  # looped past cutting: the 30 s window decodes it, the same for every weight
                else:
                    pick = rescore(readings, lm, weight)
                    changed += readings[pick].text != readings[0].text
                    text = readings[pick].text
                tally.add(row["text"], text, await judge.right(text, "en", row["intent"]), False)
            if tally.n:
                print(f"| {weight} | {band} | {tally.n} | {tally.errors / tally.words:.3f} | "
                      f"{tally.intent_ok / tally.n:.3f} | {changed} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hypotheses", type=int, default=5, help="beam readings kept (the beam is 5)")
    parser.add_argument("--phone-only", action="store_true", help="8 kHz phone-band voices only")
    parser.add_argument("--speech-only", action="store_true", help="the speech tuning set only")
    parser.add_argument("--cache", help="a file keeping the decodes between runs (tuning clips only)")
    parser.add_argument("--weights", type=float, nargs="*", default=WEIGHTS, help="the weights tried")
    asyncio.run(main(parser.parse_args()))
