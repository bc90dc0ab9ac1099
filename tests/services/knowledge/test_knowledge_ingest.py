"""Parsing (md, txt, html, pdf) into heading-aware passages, and incremental re-ingestion."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from services.knowledge.base import SearchRequest
from services.knowledge.documents import list_sources, passages_for
from services.knowledge.embedded_index import EmbeddedIndex
from services.knowledge.ingest import ingest
from tests.services.knowledge.conftest import KNOWLEDGE_DIR


class HashEmbedder:
    """Deterministic stand-in for the model: ingestion bookkeeping does not need real meaning."""

    model_id = "test/hash"
    dimensions = 8

    def __init__(self) -> None:
        self.embedded: list[str] = []

    async def embed_passages(self, texts: Any) -> np.ndarray:
        self.embedded.extend(texts)
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, 8), np.float32)

    async def embed_query(self, text: str) -> np.ndarray:
        return self._vec(text)

    def _vec(self, text: str) -> np.ndarray:
        raw = np.frombuffer(hashlib.sha256(text.encode()).digest()[:8], dtype=np.uint8).astype(np.float32)
        return raw / np.linalg.norm(raw)


def test_every_format_gives_passages_that_keep_title_and_heading() -> None:
    sources = list_sources(KNOWLEDGE_DIR)
    assert {Path(s).suffix for s in sources} >= {".md", ".html", ".pdf"}
    assert not any(s.startswith("tools/") for s in sources)
    pdf = passages_for("en/credit-card-agreement.pdf", sources["en/credit-card-agreement.pdf"])
    assert [p.heading for p in pdf][:3] == ["Interest rates (APR)", "Annual fee", "Grace period"]
    assert all(p.title == "Contoso credit card agreement" and p.lang == "en" for p in pdf)
    assert "$95" in pdf[1].text
    html = passages_for("en/mobile-banking.html", sources["en/mobile-banking.html"])
    assert html[0].title == "Contoso mobile and online banking" and html[0].heading == "Mobile check deposit"
    assert not any("analytics" in p.text or "Home" in p.text or "FDIC" in p.text for p in html)
    assert "Payment due reminders" in html[-1].text
    md = passages_for("es/horarios.md", sources["es/horarios.md"])
    assert md[0].title == "Horarios de atención de Contoso Bank" and md[0].lang == "es"
    assert (
        md[0].embedding_text().startswith("Horarios de atención de Contoso Bank. Horario de las sucursales.")
    )


def test_plain_text_and_long_sections(tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text(
        "Branch parking\n\nParking is free for customers. " + "More. " * 10, encoding="utf-8"
    )
    long = " ".join(f"Sentence number {i} is here." for i in range(80))
    (tmp_path / "long.md").write_text(f"# Long\n\n## Part\n{long}\n", encoding="utf-8")
    text = passages_for("note.txt", tmp_path / "note.txt")
    assert text[0].title == "Branch parking" and text[0].text.startswith("Parking is free")
    chunks = passages_for("long.md", tmp_path / "long.md")
    assert len(chunks) > 1 and all(len(c.text.split()) <= 120 for c in chunks)
    assert all(c.heading == "Part" and c.title == "Long" for c in chunks)


async def test_reingest_replaces_changed_files_and_drops_deleted_ones(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "en").mkdir(parents=True)
    (src / "en" / "a.md").write_text("# A\n\n## Fees\nThe alpha fee is $1.\n", encoding="utf-8")
    (src / "en" / "b.md").write_text("# B\n\n## Hours\nWe open at 9 a.m.\n", encoding="utf-8")
    embedder = HashEmbedder()
    index = EmbeddedIndex(tmp_path / "idx", embedder.model_id, embedder.dimensions)

    first = await ingest(src, index, embedder, progress=False)
    assert first.added == ["en/a.md", "en/b.md"] and first.passages == 2

    (src / "en" / "a.md").write_text(
        "# A\n\n## Fees\nThe alpha fee is $7.\n\n## More\nExtra.\n", encoding="utf-8"
    )
    (src / "en" / "b.md").unlink()
    embedder.embedded.clear()
    reloaded = EmbeddedIndex(tmp_path / "idx", embedder.model_id, embedder.dimensions).load()
    second = await ingest(src, reloaded, embedder, progress=False)

    assert second.updated == ["en/a.md"] and second.deleted == ["en/b.md"] and second.unchanged == 0
    assert len(embedder.embedded) == 2  # only the changed file was embedded again
    final = EmbeddedIndex(tmp_path / "idx", embedder.model_id, embedder.dimensions).load()
    texts = sorted(p.text for p in final.passages)
    assert texts == ["Extra.", "The alpha fee is $7."]
    hits = final.search_sync(SearchRequest("alpha fee", "en", 2, await embedder.embed_query("alpha fee")))
    assert hits[0].passage.text == "The alpha fee is $7."

    third = await ingest(src, final, embedder, progress=False)
    assert third.unchanged == 1 and third.passages == 0


async def test_index_built_with_another_embedder_is_rebuilt(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.md").write_text("# A\n\n## Fees\nThe fee is $1.\n", encoding="utf-8")
    embedder = HashEmbedder()
    await ingest(src, EmbeddedIndex(tmp_path / "idx", "old/model", 8), embedder, progress=False)
    index = EmbeddedIndex(tmp_path / "idx", embedder.model_id, embedder.dimensions).load()
    assert len(index) == 0
    report = await ingest(src, index, embedder, progress=False)
    assert report.added == ["a.md"] and len(index) == 1
