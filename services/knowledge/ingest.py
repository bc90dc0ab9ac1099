"""Ingestion: files -> passages -> screen -> embeddings -> index; changed files re-read, deleted dropped."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from core.safety.knowledge_screen import screen
from services.knowledge.base import Embedder, KnowledgeIndex, Passage
from services.knowledge.documents import file_hash, list_sources, passages_for


@dataclass(frozen=True)
class IngestReport:
    added: list[str]
    updated: list[str]
    deleted: list[str]
    unchanged: int
    passages: int
    """Passages (re-)embedded in this run."""
    seconds: float
    dropped: list[str] = field(default_factory=list)
    """Passages the poisoned-knowledge screen kept out: ``source#heading: reasons``."""

    def summary(self) -> str:
        text = (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.deleted)} deleted, "
            f"{self.unchanged} unchanged; {self.passages} passages embedded in {self.seconds:.1f} s"
        )
        if self.dropped:
            text += f"\n{len(self.dropped)} passages dropped by the screen:\n" + "\n".join(
                f"  {line}" for line in self.dropped
            )
        return text


def _screened(parsed: dict[str, list[Passage]]) -> tuple[dict[str, list[Passage]], list[str]]:
    """Passages without instruction-like text, credential requests or payment redirection; and the dropped."""
    kept: dict[str, list[Passage]] = {}
    dropped: list[str] = []
    for source, passages in parsed.items():
        kept[source] = []
        for passage in passages:
            result = screen(passage.embedding_text())
            if result.flagged:
                dropped.append(f"{source}#{passage.heading or passage.title}: {', '.join(result.reasons)}")
            else:
                kept[source].append(passage)
    return kept, dropped


def _parse_changed(changed: dict[str, Path], progress: bool) -> dict[str, list[Passage]]:
    return {
        source: passages_for(source, path)
        for source, path in tqdm(changed.items(), desc="reading", unit="file", disable=not progress)
    }


async def _embed(embedder: Embedder | None, texts: list[str], progress: bool) -> np.ndarray | None:
    if embedder is None:
        return None
    sync = getattr(embedder, "embed_passages_sync", None)
    with tqdm(total=len(texts), desc="embedding", unit="passage", disable=not progress) as bar:
        if sync is not None:
            return await asyncio.to_thread(sync, texts, bar)
        out = await embedder.embed_passages(texts)
        bar.update(len(texts))
        return out


async def ingest(
    source_dir: Path, index: KnowledgeIndex, embedder: Embedder | None, progress: bool = True
) -> IngestReport:
    """Bring ``index`` in line with ``source_dir``: changed files' passages replaced, deleted files' gone."""
    started = time.perf_counter()
    if not source_dir.is_dir():
        raise FileNotFoundError(f"knowledge source directory not found: {source_dir}")
    current = list_sources(source_dir)
    hashes = {source: await asyncio.to_thread(file_hash, path) for source, path in current.items()}
    known = await index.source_hashes()
    deleted = sorted(set(known) - set(current))
    changed = {s: p for s, p in current.items() if known.get(s) != hashes[s]}
    for source in deleted:
        await index.delete_source(source)
    parsed, dropped = await asyncio.to_thread(lambda: _screened(_parse_changed(changed, progress)))
    texts = [p.embedding_text() for passages in parsed.values() for p in passages]
    vectors = await _embed(embedder, texts, progress)
    offset = 0
    for source, passages in parsed.items():
        part = vectors[offset : offset + len(passages)] if vectors is not None else None
        offset += len(passages)
        await index.upsert_source(source, passages, part, hashes[source])
    if changed or deleted:
        await index.flush()
    return IngestReport(
        added=sorted(s for s in changed if s not in known),
        updated=sorted(s for s in changed if s in known),
        deleted=deleted,
        unchanged=len(current) - len(changed),
        passages=len(texts),
        seconds=time.perf_counter() - started,
        dropped=dropped,
    )
