"""Embedded knowledge index: BM25 (bm25s) + cosine over embeddings (numpy), persisted to a directory."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from services.knowledge.base import IndexNotFound, Passage, ScoredPassage, SearchRequest
from services.knowledge.text import tokens

FORMAT_VERSION = 1
FUSIONS = ("bm25", "vector", "rrf", "convex")
_PREFIX = (
    5  # "perdí" and "perdida", "reconozco" and "reconoce" share 5 letters: known words, not foreign ones
)


class EmbeddedIndex:
    """All passages in memory; search is brute force (a vector index only pays off far beyond 10k passages).

    Files in the index directory: ``manifest.json`` (format, embedder, source file hashes),
    ``passages.jsonl`` and ``vectors.npy`` (row i is passage i). Writes go to temporary files first.
    """

    def __init__(
        self,
        path: Path,
        model_id: str | None,
        dimensions: int = 0,
        fusion: str = "convex",
        vector_weight: float = 0.7,
        min_similarity: float = 0.845,
        min_similarity_known: float = 0.825,
        min_keyword: float = 1.0,
        strong_similarity: float = 0.87,
        min_keyword_only: float = 4.0,
    ) -> None:
        if fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {FUSIONS}")
        self.path = Path(path)
        self.model_id = model_id
        self.dimensions = dimensions
        self.fusion = fusion if model_id else "bm25"
        self.vector_weight = vector_weight
        self.min_similarity = min_similarity
        self.min_similarity_known = min_similarity_known
        self.min_keyword = min_keyword
        self.strong_similarity = strong_similarity
        self.min_keyword_only = min_keyword_only
        self._passages: list[Passage] = []
        self._vectors = np.zeros((0, dimensions), dtype=np.float32)
        self._sources: dict[str, str] = {}
        self._bm25: Any = None
        self._langs = np.zeros(0, dtype="<U2")
        self._dirty = False
        self._pending: dict[str, tuple[list[Passage], np.ndarray]] = {}
        self._prefixes: dict[str, set[str]] = {}
        self._lock = threading.RLock()

    # ---- persistence -------------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def load(self) -> EmbeddedIndex:
        """Read the directory; an index built with another embedder is treated as empty (re-embed all)."""
        if not self.exists():
            raise IndexNotFound(str(self.path))
        manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT_VERSION or manifest.get("embedder") != self.model_id:
            return self
        with (self.path / "passages.jsonl").open(encoding="utf-8") as fh:
            passages = [Passage(**json.loads(line)) for line in fh if line.strip()]
        vectors = np.zeros((len(passages), self.dimensions), dtype=np.float32)
        if self.model_id:
            vectors = np.load(self.path / "vectors.npy")
            if vectors.shape != (len(passages), self.dimensions):
                return self  # written by an interrupted or concurrent save: start empty, ingest rebuilds it
        with self._lock:
            self._passages, self._vectors = passages, vectors
            self._sources = dict(manifest.get("sources", {}))
            self._rebuild()
        return self

    def save(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._merge_pending()
            tmp = self.path / "passages.jsonl.tmp"
            with tmp.open("w", encoding="utf-8") as fh:
                for p in self._passages:
                    fh.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
            tmp.replace(self.path / "passages.jsonl")
            if self.model_id:
                with (self.path / "vectors.tmp.npy").open("wb") as fh:
                    np.save(fh, self._vectors)
                (self.path / "vectors.tmp.npy").replace(self.path / "vectors.npy")
            manifest = {
                "format": FORMAT_VERSION,
                "embedder": self.model_id,
                "dimensions": self.dimensions,
                "passages": len(self._passages),
                "sources": self._sources,
            }
            tmp = self.path / "manifest.json.tmp"
            tmp.write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
            tmp.replace(self.manifest_path)

    # ---- mutation ----------------------------------------------------------------------------------
    def _rebuild(self) -> None:
        import bm25s

        self._merge_pending()
        self._dirty = False
        self._langs = np.asarray([p.lang for p in self._passages], dtype="<U2")
        if not self._passages:
            self._bm25 = None
            self._prefixes = {}
            return
        corpus = [tokens(p.embedding_text()) or ["\x00"] for p in self._passages]
        self._prefixes = {}
        for passage, toks in zip(self._passages, corpus, strict=True):
            self._prefixes.setdefault(passage.lang, set()).update(t[:_PREFIX] for t in toks)
        bm25 = bm25s.BM25()
        bm25.index(corpus, show_progress=False)
        self._bm25 = bm25

    def upsert_sync(self, source: str, passages: Sequence[Passage], vectors: np.ndarray | None) -> None:
        """Replace ``source``'s passages. Changes are queued and merged in one pass (O(n) for a whole ingest),
        and the keyword index is rebuilt lazily at the next search."""
        new_vectors = vectors if vectors is not None else np.zeros((len(passages), self.dimensions))
        with self._lock:
            self._pending[source] = (list(passages), np.asarray(new_vectors, dtype=np.float32))
            self._dirty = True

    def _merge_pending(self) -> None:
        if not self._pending:
            return
        keep = [i for i, p in enumerate(self._passages) if p.source not in self._pending]
        added = [p for passages, _ in self._pending.values() for p in passages]
        blocks = [self._vectors[keep], *(v for _, v in self._pending.values())]
        self._passages = [self._passages[i] for i in keep] + added
        self._vectors = np.vstack([b.reshape(-1, self.dimensions) for b in blocks]).astype(np.float32)
        self._pending.clear()

    def delete_sync(self, source: str) -> None:
        self.upsert_sync(source, [], None)
        with self._lock:
            self._sources.pop(source, None)

    def rebuild(self) -> None:
        with self._lock:
            self._rebuild()

    async def upsert_source(
        self, source: str, passages: Sequence[Passage], vectors: np.ndarray | None, file_hash: str
    ) -> None:
        await asyncio.to_thread(self.upsert_sync, source, passages, vectors)
        self._sources[source] = file_hash

    async def delete_source(self, source: str) -> None:
        await asyncio.to_thread(self.delete_sync, source)

    async def source_hashes(self) -> dict[str, str]:
        return dict(self._sources)

    async def flush(self) -> None:
        await asyncio.to_thread(self.save)

    async def close(self) -> None:
        return None

    def __len__(self) -> int:
        with self._lock:
            self._merge_pending()
            return len(self._passages)

    @property
    def passages(self) -> list[Passage]:
        with self._lock:
            self._merge_pending()
            return list(self._passages)

    # ---- search ------------------------------------------------------------------------------------
    def search_sync(self, request: SearchRequest) -> list[ScoredPassage]:
        with self._lock:
            if self._dirty:
                self._rebuild()
            n = len(self._passages)
            if n == 0:
                return []
            mask = np.ones(n, dtype=bool)
            if request.lang and (self._langs == request.lang).any():
                mask = self._langs == request.lang
            query_tokens = tokens(request.text)
            keyword = np.zeros(n, dtype=np.float32)
            if self._bm25 is not None and query_tokens:
                keyword = np.asarray(self._bm25.get_scores(query_tokens), dtype=np.float32)
            cosine = np.zeros(n, dtype=np.float32)
            if self.model_id and request.vector is not None and len(self._vectors):
                # einsum, not BLAS: 2-thread OpenBLAS gemv spins on a busy 2-core box (23 ms vs 3 ms at 10k).
                cosine = np.einsum("ij,j->i", self._vectors, request.vector.astype(np.float32))
            fused = self._fuse(keyword, cosine, mask)
            fused[~mask] = -np.inf
            top = min(request.top, int(mask.sum()))
            order = np.argpartition(-fused, top - 1)[:top] if top < n else np.arange(n)
            order = order[np.argsort(-fused[order], kind="stable")][:top]
            known = self._prefixes.get(request.lang or "", set()) or set().union(*self._prefixes.values())
            unknown = sum(1 for t in query_tokens if t[:_PREFIX] not in known)
            return [
                ScoredPassage(
                    self._passages[i], float(fused[i]), float(keyword[i]), float(cosine[i]), unknown
                )
                for i in order
                if np.isfinite(fused[i])
            ]

    def _fuse(self, keyword: np.ndarray, cosine: np.ndarray, mask: np.ndarray) -> np.ndarray:
        fusion = self.fusion
        if fusion == "bm25":
            return keyword.copy()
        if fusion == "vector":
            return cosine.copy()
        if fusion == "rrf":
            # Reciprocal rank fusion (k=60), the method Azure AI Search uses for hybrid queries.
            fused = np.zeros_like(cosine)
            for scores in (keyword, cosine):
                ranks = np.empty(len(scores), dtype=np.float32)
                ranks[np.argsort(-np.where(mask, scores, -np.inf), kind="stable")] = np.arange(
                    1, len(scores) + 1
                )
                fused += np.where(scores > 0, 1.0 / (60.0 + ranks), 0.0)
            return fused

        # convex: min-max normalise each list over the candidates, then a weighted sum.
        def norm(scores: np.ndarray) -> np.ndarray:
            sub = scores[mask]
            lo, hi = float(sub.min()), float(sub.max())
            return (scores - lo) / (hi - lo) if hi > lo else np.zeros_like(scores)

        return self.vector_weight * norm(cosine) + (1.0 - self.vector_weight) * norm(keyword)

    async def search(self, request: SearchRequest) -> list[ScoredPassage]:
        return await asyncio.to_thread(self.search_sync, request)

    def is_relevant(self, hit: ScoredPassage) -> bool:
        """The grounding guard, calibrated on tests/data/knowledge_questions.jsonl (see the bench).

        A specific shared keyword (BM25 above ``min_keyword``: "Contoso" or "bank" alone score below it), and
        a cosine above ``min_similarity`` or, when every question word is known to the knowledge base, above
        the lower ``min_similarity_known``. Without embeddings only the
        BM25 score is available, with its own floor.
        """
        if not self.model_id:
            return hit.keyword_score >= self.min_keyword_only
        if hit.vector_score >= self.strong_similarity:
            return True
        if hit.keyword_score <= self.min_keyword:
            return False
        if hit.unknown_terms == 0:
            return hit.vector_score >= self.min_similarity_known
        return hit.vector_score >= self.min_similarity
