"""Azure OpenAI embeddings (`openai` AsyncAzureOpenAI), key or Entra ID auth."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from services.knowledge.base import KnowledgeUnavailable

_BATCH = 64


def make_azure_openai_client(settings: Any, http_client: Any = None) -> Any:
    """One AsyncAzureOpenAI from `settings.azure_openai`: API key when set, else an Entra token provider."""
    from openai import AsyncAzureOpenAI

    cfg = settings.azure_openai
    kwargs: dict[str, Any] = {
        "azure_endpoint": cfg.endpoint,
        "api_version": cfg.api_version,
        "timeout": cfg.timeout_seconds,
        "max_retries": 2,
    }
    if http_client is not None:
        kwargs["http_client"] = http_client
    key = cfg.key.get_secret_value()
    if key:
        kwargs["api_key"] = key
    else:
        from azure.identity.aio import DefaultAzureCredential, get_bearer_token_provider

        kwargs["azure_ad_token_provider"] = get_bearer_token_provider(
            DefaultAzureCredential(), "https://cognitiveservices.azure.com/.default"
        )
    return AsyncAzureOpenAI(**kwargs)


class AzureOpenAIEmbedder:
    """Embeddings from an Azure OpenAI deployment (e.g. text-embedding-3-small, 1536 dimensions)."""

    def __init__(self, client: Any, deployment: str, dimensions: int = 1536) -> None:
        self._client = client
        self._deployment = deployment
        self.dimensions = dimensions
        self.model_id = f"azure-openai/{deployment}"

    async def _embed(self, texts: list[str]) -> np.ndarray:
        import openai

        try:
            response = await self._client.embeddings.create(model=self._deployment, input=texts)
        except (openai.APIConnectionError, openai.APITimeoutError, openai.APIStatusError) as exc:
            raise KnowledgeUnavailable(f"Azure OpenAI embeddings failed: {type(exc).__name__}") from exc
        ordered = sorted(response.data, key=lambda d: d.index)
        matrix = np.asarray([d.embedding for d in ordered], dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.where(norms == 0, 1, norms)

    async def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        parts = [await self._embed(list(texts[i : i + _BATCH])) for i in range(0, len(texts), _BATCH)]
        return np.vstack(parts) if parts else np.zeros((0, self.dimensions), dtype=np.float32)

    async def embed_query(self, text: str) -> np.ndarray:
        return (await self._embed([text]))[0]
