"""Embedded NLU: training time, per-utterance latency p50/p95, dev accuracy: `python -m bench.nlu_latency`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.stats import percentile
from config import get_settings
from dialogs.registry import registered_intents
from locales.languages import locale_of
from recognizers.base import top_intent
from recognizers.embedded_recognizer import EmbeddedRecognizer

DEV_SET = Path(__file__).resolve().parents[1] / "tests" / "data" / "nlu_dev.jsonl"


def _train(cache_dir: Path) -> tuple[EmbeddedRecognizer, float, float]:
    recognizer = EmbeddedRecognizer(get_settings().clu_project_file, cache_dir, registered_intents())
    wall, cpu = time.perf_counter(), time.process_time()
    recognizer.train()
    return recognizer, time.perf_counter() - wall, time.process_time() - cpu


async def _measure(
    recognizer: EmbeddedRecognizer, dev: list[dict]
) -> tuple[list[float], dict[str, list[bool]]]:
    await recognizer.warm_up()
    latencies: list[float] = []
    hits: dict[str, list[bool]] = {"en": [], "es": []}
    for item in dev:
        started = time.perf_counter()
        result = await recognizer.recognize_text(item["text"], locale_of(item["lang"]))
        latencies.append(1000 * (time.perf_counter() - started))
        hits[item["lang"]].append(top_intent(result)[0] == item["intent"])
    return latencies, hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cold", action="store_true", help="also train with an empty embedding cache")
    args = parser.parse_args()
    dev = [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows: list[tuple[str, str]] = [
        ("load average (1 min) at start", f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    ]
    if args.cold:
        with tempfile.TemporaryDirectory() as empty:
            _, wall, cpu = _train(Path(empty))
        rows.append(("train, cold cache (wall / cpu)", f"{wall:.2f} s / {cpu:.2f} s"))
    cache_dir = get_settings().data_dir / "nlu-cache"
    _train(cache_dir)  # fills the cache if needed
    recognizer, wall, cpu = _train(cache_dir)
    report = recognizer.report
    assert report is not None
    rows += [
        ("train, warm cache (wall / cpu)", f"{wall:.2f} s / {cpu:.2f} s"),
        ("  of which classifier fit (wall)", f"{report.fit_seconds:.2f} s"),
        ("training utterances", str(report.utterances)),
    ]
    latencies, hits = asyncio.run(_measure(recognizer, dev))
    all_hits = hits["en"] + hits["es"]
    rows += [
        ("recognize_text latency p50", f"{statistics.median(latencies):.1f} ms"),
        ("recognize_text latency p95", f"{percentile(latencies, 0.95):.1f} ms"),
        ("dev accuracy (all)", f"{sum(all_hits) / len(all_hits):.3f} (n={len(all_hits)})"),
        ("dev accuracy (en)", f"{sum(hits['en']) / len(hits['en']):.3f}"),
        ("dev accuracy (es)", f"{sum(hits['es']) / len(hits['es']):.3f}"),
        ("load average (1 min) at end", f"{os.getloadavg()[0]:.2f}"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'metric'.ljust(width)}  value")
    print(f"{'-' * width}  {'-' * 24}")
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
