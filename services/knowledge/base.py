"""The knowledge port the dialog calls and the ports it is built from (index, embedder, generator)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


class KnowledgeError(Exception):
    """Base class for knowledge failures a dialog can turn into a spoken fallback."""


class KnowledgeUnavailable(KnowledgeError):
    """The index, embedding or generation backend could not be reached or timed out."""


class AnswerFiltered(KnowledgeError):
    """Azure OpenAI's content filter blocked the prompt (HTTP 400, ``code`` ``content_filter``) or the
    completion (``finish_reason`` ``content_filter``): the caller hears the decline; not an outage."""


class IndexNotFound(KnowledgeError):
    """No index at the given path (run `python cli.py kb ingest`)."""


@dataclass(frozen=True)
class ConversationTurn:
    speaker: str
    """"caller" or "bot"."""
    text: str


@dataclass(frozen=True)
class KnowledgeAnswer:
    text: str
    """A sentence to speak in the caller's language; a decline + agent offer when not grounded."""
    sources: list[str]
    """Source file names, best first (empty when not grounded)."""
    grounded: bool
    blocked: bool = False
    """True when the question was a prompt-injection attempt (it never reached a generator) or Azure
    OpenAI's content filter blocked the answer: the text is then the polite decline."""


class Knowledge(Protocol):
    async def answer(self, question: str, history: list[ConversationTurn], locale: str) -> KnowledgeAnswer:
        """Answer from the knowledge base only; never raises for "no answer" (grounded=False)."""
        ...

    async def covers(self, question: str, locale: str) -> bool:
        """Does the index hold a passage that clears the grounding guard for the question's own words?"""
        ...


@dataclass(frozen=True)
class Passage:
    """One heading-delimited piece of a document, the unit that is indexed and retrieved."""

    id: str
    source: str
    """Path relative to the knowledge source directory, e.g. ``en/transfers.md``."""
    title: str
    heading: str
    text: str
    lang: str
    content_hash: str

    @property
    def file_name(self) -> str:
        return self.source.rsplit("/", 1)[-1]

    def embedding_text(self) -> str:
        """What is embedded and keyword-indexed: the document title and heading give the passage context."""
        return f"{self.title}. {self.heading}. {self.text}"


@dataclass(frozen=True)
class ScoredPassage:
    passage: Passage
    score: float
    """The fused ranking score (comparable within one query only)."""
    keyword_score: float = 0.0
    vector_score: float = 0.0
    """Embedded: raw BM25 score and raw cosine similarity. Azure: @search.score and the reranker score."""
    unknown_terms: int = 0
    """Question words the knowledge base has never seen, not even as a prefix ("mortgage", "Francia")."""


@dataclass
class SearchRequest:
    text: str
    lang: str | None = None
    top: int = 4
    vector: np.ndarray | None = field(default=None, repr=False)


class KnowledgeIndex(Protocol):
    """Where passages live: an embedded directory index or Azure AI Search."""

    async def upsert_source(
        self, source: str, passages: Sequence[Passage], vectors: np.ndarray | None, file_hash: str
    ) -> None:
        """Replace every passage of ``source`` with these; ``file_hash`` is what the file was read from."""
        ...

    async def delete_source(self, source: str) -> None: ...

    async def source_hashes(self) -> dict[str, str]:
        """Source file -> hash of the file content it was ingested from."""
        ...

    async def search(self, request: SearchRequest) -> list[ScoredPassage]: ...

    def is_relevant(self, hit: ScoredPassage) -> bool:
        """The grounding guard: does this hit clear the backend's calibrated threshold?"""
        ...

    async def flush(self) -> None:
        """Persist pending changes (no-op for remote indexes)."""
        ...

    async def close(self) -> None: ...


class Embedder(Protocol):
    model_id: str
    dimensions: int

    async def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    async def embed_query(self, text: str) -> np.ndarray: ...


@dataclass(frozen=True)
class GenerationRequest:
    question: str
    history: list[ConversationTurn]
    passages: list[ScoredPassage]
    lang: str
    """"en" or "es": the language the answer must be in."""


class Generator(Protocol):
    async def generate(self, request: GenerationRequest) -> str:
        """A short spoken answer composed only from ``request.passages``; "" when they do not answer it."""
        ...
