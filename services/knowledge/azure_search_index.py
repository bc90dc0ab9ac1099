"""Azure AI Search index (`azure-search-documents`): vector + text fields, batch upload, hybrid query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from services.knowledge.base import KnowledgeUnavailable, Passage, ScoredPassage, SearchRequest

VECTOR_FIELD = "content_vector"
VECTOR_PROFILE = "knowledge-vector-profile"
HNSW_CONFIG = "knowledge-hnsw"
_SELECT = ["id", "source", "title", "heading", "content", "lang", "content_hash"]


def build_index_definition(name: str, dimensions: int, semantic_configuration: str | None) -> Any:
    """Index schema: searchable title/heading/content, filterable source and lang, one vector field."""
    from azure.search.documents.indexes.models import (
        HnswAlgorithmConfiguration,
        SearchableField,
        SearchField,
        SearchIndex,
        SemanticConfiguration,
        SemanticField,
        SemanticPrioritizedFields,
        SemanticSearch,
        SimpleField,
        VectorSearch,
        VectorSearchProfile,
    )

    fields = [
        SimpleField(name="id", type="Edm.String", key=True),
        SimpleField(name="source", type="Edm.String", filterable=True, facetable=True),
        SimpleField(name="source_hash", type="Edm.String"),
        SimpleField(name="content_hash", type="Edm.String"),
        SimpleField(name="lang", type="Edm.String", filterable=True),
        SearchableField(name="title", type="Edm.String"),
        SearchableField(name="heading", type="Edm.String"),
        SearchableField(name="content", type="Edm.String"),
        SearchField(
            name=VECTOR_FIELD,
            type="Collection(Edm.Single)",
            searchable=True,
            vector_search_dimensions=dimensions,
            vector_search_profile_name=VECTOR_PROFILE,
        ),
    ]
    vector_search = VectorSearch(
        algorithms=[HnswAlgorithmConfiguration(name=HNSW_CONFIG)],
        profiles=[VectorSearchProfile(name=VECTOR_PROFILE, algorithm_configuration_name=HNSW_CONFIG)],
    )
    semantic = None
    if semantic_configuration:
        semantic = SemanticSearch(
            configurations=[
                SemanticConfiguration(
                    name=semantic_configuration,
                    prioritized_fields=SemanticPrioritizedFields(
                        title_field=SemanticField(field_name="heading"),
                        content_fields=[SemanticField(field_name="content")],
                    ),
                )
            ]
        )
    return SearchIndex(name=name, fields=fields, vector_search=vector_search, semantic_search=semantic)


def _odata_quote(value: str) -> str:
    return value.replace("'", "''")


class AzureSearchIndex:
    """Passages as search documents; a file's hash rides on each of its documents (``source_hash``)."""

    def __init__(
        self,
        search_client: Any,
        index_client: Any,
        index_name: str,
        dimensions: int,
        *,
        semantic_configuration: str | None = None,
        min_score: float = 0.02,
        min_reranker_score: float = 1.5,
        batch_size: int = 100,
    ) -> None:
        self._search = search_client
        self._indexes = index_client
        self.index_name = index_name
        self.dimensions = dimensions
        self.semantic_configuration = semantic_configuration
        self.min_score = min_score
        self.min_reranker_score = min_reranker_score
        self.batch_size = batch_size
        self._index_ready = False

    @classmethod
    def from_settings(cls, settings: Any, dimensions: int, transport: Any = None) -> AzureSearchIndex:
        """Key auth when a key is set, otherwise Entra ID (DefaultAzureCredential)."""
        from azure.core.credentials import AzureKeyCredential
        from azure.search.documents.aio import SearchClient
        from azure.search.documents.indexes.aio import SearchIndexClient

        cfg = settings.azure_search
        credential: Any
        if cfg.key.get_secret_value():
            credential = AzureKeyCredential(cfg.key.get_secret_value())
        else:
            from azure.identity.aio import DefaultAzureCredential

            credential = DefaultAzureCredential()
        extra: dict[str, Any] = {
            "connection_timeout": cfg.timeout_seconds,
            "read_timeout": cfg.timeout_seconds,
            "retry_total": 2,
        }
        if transport is not None:
            extra["transport"] = transport
        return cls(
            SearchClient(cfg.endpoint, cfg.index_name, credential, **extra),
            SearchIndexClient(cfg.endpoint, credential, **extra),
            cfg.index_name,
            dimensions,
            semantic_configuration=cfg.semantic_configuration if cfg.semantic_ranker else None,
            min_score=cfg.min_score,
            min_reranker_score=cfg.min_reranker_score,
            batch_size=cfg.upload_batch_size,
        )

    async def ensure_index(self) -> None:
        """Create the index, or update its definition in place (idempotent)."""
        if self._index_ready:
            return
        from azure.core.exceptions import AzureError

        definition = build_index_definition(self.index_name, self.dimensions, self.semantic_configuration)
        try:
            await self._indexes.create_or_update_index(definition)
        except AzureError as exc:
            raise KnowledgeUnavailable(f"Azure AI Search index update failed: {type(exc).__name__}") from exc
        self._index_ready = True

    async def _ids_of(self, source: str) -> list[str]:
        results = await self._search.search(
            search_text="*", filter=f"source eq '{_odata_quote(source)}'", select=["id"], top=1000
        )
        return [doc["id"] async for doc in results]

    async def upsert_source(
        self, source: str, passages: Sequence[Passage], vectors: np.ndarray | None, file_hash: str
    ) -> None:
        from azure.core.exceptions import AzureError

        await self.ensure_index()
        documents = []
        for i, p in enumerate(passages):
            doc: dict[str, Any] = {
                "id": p.id,
                "source": p.source,
                "source_hash": file_hash,
                "content_hash": p.content_hash,
                "lang": p.lang,
                "title": p.title,
                "heading": p.heading,
                "content": p.text,
            }
            if vectors is not None:
                doc[VECTOR_FIELD] = [float(x) for x in vectors[i]]
            documents.append(doc)
        try:
            stale = set(await self._ids_of(source)) - {d["id"] for d in documents}
            for start in range(0, len(documents), self.batch_size):
                await self._search.merge_or_upload_documents(documents[start : start + self.batch_size])
            if stale:
                await self._search.delete_documents([{"id": i} for i in sorted(stale)])
        except AzureError as exc:
            raise KnowledgeUnavailable(f"Azure AI Search upload failed: {type(exc).__name__}") from exc

    async def delete_source(self, source: str) -> None:
        from azure.core.exceptions import AzureError

        try:
            ids = await self._ids_of(source)
            for start in range(0, len(ids), self.batch_size):
                await self._search.delete_documents([{"id": i} for i in ids[start : start + self.batch_size]])
        except AzureError as exc:
            raise KnowledgeUnavailable(f"Azure AI Search delete failed: {type(exc).__name__}") from exc

    async def source_hashes(self) -> dict[str, str]:
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        try:
            results = await self._search.search(
                search_text="*", select=["source", "source_hash"], top=100_000
            )
            return {doc["source"]: doc["source_hash"] async for doc in results}
        except ResourceNotFoundError:
            return {}
        except AzureError as exc:
            raise KnowledgeUnavailable(f"Azure AI Search read failed: {type(exc).__name__}") from exc

    async def search(self, request: SearchRequest) -> list[ScoredPassage]:
        """Hybrid query: keywords over the text fields + k-NN over the vector field, fused by the service."""
        from azure.core.exceptions import AzureError
        from azure.search.documents.models import VectorizedQuery

        kwargs: dict[str, Any] = {"top": request.top, "select": _SELECT}
        if request.lang:
            kwargs["filter"] = f"lang eq '{_odata_quote(request.lang)}'"
        if request.vector is not None:
            kwargs["vector_queries"] = [
                VectorizedQuery(
                    vector=[float(x) for x in request.vector],
                    k_nearest_neighbors=max(request.top, 10),
                    fields=VECTOR_FIELD,
                )
            ]
        if self.semantic_configuration:
            kwargs["query_type"] = "semantic"
            kwargs["semantic_configuration_name"] = self.semantic_configuration
        try:
            results = await self._search.search(search_text=request.text, **kwargs)
            hits = []
            async for doc in results:
                passage = Passage(
                    doc["id"],
                    doc["source"],
                    doc.get("title") or "",
                    doc.get("heading") or "",
                    doc.get("content") or "",
                    doc.get("lang") or "",
                    doc.get("content_hash") or "",
                )
                reranker = doc.get("@search.reranker_score")
                score = float(reranker) if reranker is not None else float(doc.get("@search.score") or 0.0)
                hits.append(
                    ScoredPassage(
                        passage,
                        score,
                        float(doc.get("@search.score") or 0.0),
                        float(reranker) if reranker is not None else 0.0,
                    )
                )
        except AzureError as exc:
            raise KnowledgeUnavailable(f"Azure AI Search query failed: {type(exc).__name__}") from exc
        return hits

    def is_relevant(self, hit: ScoredPassage) -> bool:
        if self.semantic_configuration:
            return hit.vector_score >= self.min_reranker_score
        return hit.score >= self.min_score

    async def flush(self) -> None:
        return None

    async def close(self) -> None:
        await self._search.close()
        await self._indexes.close()
