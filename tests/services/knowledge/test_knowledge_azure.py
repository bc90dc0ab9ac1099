"""Azure adapters against fake transports answering with real response shapes; requests asserted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
import numpy as np
import pytest
from openai import AsyncAzureOpenAI

from config import GeneratorBackend, KnowledgeBackend
from services.knowledge.azure_openai_embeddings import AzureOpenAIEmbedder
from services.knowledge.azure_openai_generator import AzureOpenAIGenerator
from services.knowledge.azure_search_index import AzureSearchIndex
from services.knowledge.base import ConversationTurn, KnowledgeUnavailable, SearchRequest
from services.knowledge.factory import create_knowledge
from services.knowledge.ingest import ingest
from tests.services.knowledge.conftest import chat_completion, search_service_handler

LATE_FEE_DOC = {
    "@search.score": 0.0331,
    "@search.reranker_score": None,
    "id": "p1",
    "source": "en/payments-and-late-fees.md",
    "title": "Credit card payments and late fees",
    "heading": "Late payment fee",
    "content": "If we do not receive at least the minimum payment by 8 p.m. Eastern Time on the due date, "
    "a late fee of up to $40 is charged.",
    "lang": "en",
    "content_hash": "abc",
}


class FourDimEmbedder:
    model_id = "fake/4d"
    dimensions = 4

    async def embed_passages(self, texts: Any) -> np.ndarray:
        return np.tile(np.asarray([0.5, 0.5, 0.5, 0.5], dtype=np.float32), (len(texts), 1))

    async def embed_query(self, text: str) -> np.ndarray:
        return np.asarray([1.0, 0.0, 0.0, 0.0], dtype=np.float32)


def openai_client(handler: Any) -> AsyncAzureOpenAI:
    return AsyncAzureOpenAI(
        azure_endpoint="https://contoso-aoai.openai.azure.com",
        api_key="test-key",
        api_version="2024-10-21",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(handler)),
    )


async def test_ingest_creates_index_with_vector_and_text_fields_and_uploads_in_batches(
    tmp_path: Path, azure_settings: Any, fake_azure_transport: Any
) -> None:
    (tmp_path / "en").mkdir()
    sections = "\n\n".join(f"## Topic {i}\nThe fee for service {i} is ${i}." for i in range(5))
    (tmp_path / "en" / "fees.md").write_text(f"# Fees\n\n{sections}\n", encoding="utf-8")
    transport = fake_azure_transport(search_service_handler([]))
    azure_settings.azure_search.upload_batch_size = 2
    index = AzureSearchIndex.from_settings(azure_settings, dimensions=4, transport=transport)

    report = await ingest(tmp_path, index, FourDimEmbedder(), progress=False)
    await index.close()

    assert report.added == ["en/fees.md"] and report.passages == 5
    put = next(r for r in transport.requests if r["method"] == "PUT")
    assert "indexes('voicebot-knowledge')" in put["url"] and put["headers"]["api-key"] == "search-key"
    fields = {f["name"]: f for f in put["body"]["fields"]}
    assert fields["id"]["key"] is True
    assert fields["content"]["searchable"] is True and fields["lang"]["filterable"] is True
    assert fields["content_vector"]["type"] == "Collection(Edm.Single)"
    assert fields["content_vector"]["dimensions"] == 4
    assert fields["content_vector"]["vectorSearchProfile"] == "knowledge-vector-profile"
    assert put["body"]["vectorSearch"]["profiles"][0]["algorithm"] == "knowledge-hnsw"
    uploads = [
        r["body"]["value"] for r in transport.requests if r["url"].split("?")[0].endswith("search.index")
    ]
    assert [len(batch) for batch in uploads] == [2, 2, 1]
    first = uploads[0][0]
    assert first["@search.action"] == "mergeOrUpload"
    assert first["source"] == "en/fees.md" and first["title"] == "Fees" and first["heading"] == "Topic 0"
    assert first["content_vector"] == [0.5, 0.5, 0.5, 0.5] and len(first["source_hash"]) == 64


async def test_hybrid_query_sends_keywords_vector_and_language_filter(
    azure_settings: Any, fake_azure_transport: Any
) -> None:
    transport = fake_azure_transport(search_service_handler([LATE_FEE_DOC]))
    index = AzureSearchIndex.from_settings(azure_settings, dimensions=4, transport=transport)

    hits = await index.search(SearchRequest("late fee", "en", 3, np.asarray([0.1, 0.2, 0.3, 0.4])))

    body = transport.requests[-1]["body"]
    assert body["search"] == "late fee" and body["filter"] == "lang eq 'en'" and body["top"] == 3
    vector_query = body["vectorQueries"][0]
    assert vector_query["kind"] == "vector" and vector_query["fields"] == "content_vector"
    assert vector_query["vector"] == pytest.approx([0.1, 0.2, 0.3, 0.4]) and vector_query["k"] >= 3
    assert "queryType" not in body
    assert hits[0].passage.file_name == "payments-and-late-fees.md" and hits[0].score == pytest.approx(0.0331)
    assert index.is_relevant(hits[0])


async def test_semantic_ranker_is_requested_and_its_score_drives_the_guard(
    azure_settings: Any, fake_azure_transport: Any
) -> None:
    azure_settings.azure_search.semantic_ranker = True
    docs = [
        {**LATE_FEE_DOC, "@search.rerankerScore": 2.7},
        {**LATE_FEE_DOC, "id": "p2", "@search.rerankerScore": 0.4},
    ]
    transport = fake_azure_transport(search_service_handler(docs))
    index = AzureSearchIndex.from_settings(azure_settings, dimensions=4, transport=transport)

    hits = await index.search(SearchRequest("late fee", "en", 3, None))

    body = transport.requests[-1]["body"]
    assert body["queryType"] == "semantic" and body["semanticConfiguration"] == "default"
    assert [index.is_relevant(h) for h in hits] == [True, False]


async def test_search_outage_raises_knowledge_unavailable(
    azure_settings: Any, fake_azure_transport: Any
) -> None:
    transport = fake_azure_transport(
        lambda *_: (503, {"error": {"code": "ServiceUnavailable", "message": "x"}})
    )
    index = AzureSearchIndex.from_settings(azure_settings, dimensions=4, transport=transport)
    with pytest.raises(KnowledgeUnavailable):
        await index.search(SearchRequest("late fee", "en", 3, None))


async def test_chat_request_carries_system_prompt_history_and_context(kb_index: Any, embedder: Any) -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json=chat_completion("The late fee is up to $40. Pay before 8 p.m."))

    generator = AzureOpenAIGenerator(openai_client(handler), "gpt-4o-mini")
    from services.knowledge.service import RagKnowledge

    knowledge = RagKnowledge(kb_index, embedder, generator)
    history = [
        ConversationTurn("caller", "I have a question about my credit card"),
        ConversationTurn("bot", "Sure, what would you like to know?"),
    ]

    answer = await knowledge.answer("How much is the late fee on my credit card?", history, "en-US")

    assert answer.grounded and answer.text == "The late fee is up to $40. Pay before 8 p.m."
    assert answer.sources[0] == "payments-and-late-fees.md"
    request = seen[0]
    assert request.url.path == "/openai/deployments/gpt-4o-mini/chat/completions"
    assert request.url.params["api-version"] == "2024-10-21" and request.headers["api-key"] == "test-key"
    messages = json.loads(request.content)["messages"]
    assert messages[0]["role"] == "system" and "ONLY from" in messages[0]["content"]
    assert "English" in messages[0]["content"] and "NO_ANSWER" in messages[0]["content"]
    assert messages[1] == {"role": "user", "content": "I have a question about my credit card"}
    assert messages[2] == {"role": "assistant", "content": "Sure, what would you like to know?"}
    assert messages[-1]["role"] == "user" and "CONTEXT:" in messages[-1]["content"]
    assert "late fee of up to $40" in messages[-1]["content"]
    assert messages[-1]["content"].endswith("QUESTION: How much is the late fee on my credit card?")


async def test_model_saying_no_answer_gives_the_not_grounded_decline(kb_index: Any, embedder: Any) -> None:
    from services.knowledge.service import RagKnowledge

    client = openai_client(lambda _req: httpx2.Response(200, json=chat_completion("NO_ANSWER")))
    knowledge = RagKnowledge(kb_index, embedder, AzureOpenAIGenerator(client, "gpt-4o-mini"))

    answer = await knowledge.answer("¿Cuánto cuesta una transferencia internacional?", [], "es-MX")

    assert not answer.grounded and answer.sources == [] and answer.text.startswith("Lo siento")


async def test_chat_outage_raises_knowledge_unavailable(kb_index: Any, embedder: Any) -> None:
    from services.knowledge.service import RagKnowledge

    client = openai_client(lambda _req: httpx2.Response(500, json={"error": {"message": "boom"}}))
    knowledge = RagKnowledge(kb_index, embedder, AzureOpenAIGenerator(client, "gpt-4o-mini"))
    with pytest.raises(KnowledgeUnavailable):
        await knowledge.answer("How much is the late fee?", [], "en-US")


async def test_embeddings_request_and_normalised_vectors() -> None:
    seen: list[Any] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        seen.append((request.url.path, body))
        data = [
            {"object": "embedding", "index": i, "embedding": [3.0, 4.0, 0.0, 0.0]}
            for i in range(len(body["input"]))
        ]
        return httpx2.Response(
            200,
            json={
                "object": "list",
                "data": data,
                "model": "text-embedding-3-small",
                "usage": {"prompt_tokens": 8, "total_tokens": 8},
            },
        )

    embedder = AzureOpenAIEmbedder(openai_client(handler), "text-embedding-3-small", dimensions=4)
    vectors = await embedder.embed_passages(["a", "b"])

    assert seen[0][0] == "/openai/deployments/text-embedding-3-small/embeddings"
    assert seen[0][1]["input"] == ["a", "b"]
    assert vectors.shape == (2, 4) and vectors[0] == pytest.approx([0.6, 0.8, 0.0, 0.0])


async def test_factory_wires_azure_search_and_azure_openai_end_to_end(
    azure_settings: Any, fake_azure_transport: Any
) -> None:
    azure_settings.knowledge = KnowledgeBackend.AZURE
    azure_settings.generator = GeneratorBackend.AZURE_OPENAI
    azure_settings.knowledge_embeddings = GeneratorBackend.AZURE_OPENAI
    chat_bodies: list[Any] = []

    def aoai(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        if request.url.path.endswith("/embeddings"):
            return httpx2.Response(
                200,
                json={
                    "object": "list",
                    "model": "m",
                    "usage": {"prompt_tokens": 1, "total_tokens": 1},
                    "data": [{"object": "embedding", "index": 0, "embedding": [0.0, 1.0, 0.0, 0.0]}],
                },
            )
        chat_bodies.append(body)
        return httpx2.Response(200, json=chat_completion("A late fee of up to $40 is charged."))

    transport = fake_azure_transport(search_service_handler([LATE_FEE_DOC]))
    knowledge = create_knowledge(
        azure_settings, openai_client=openai_client(aoai), search_transport=transport
    )

    answer = await knowledge.answer("what is the late fee", [], "en-US")

    assert answer.grounded and answer.sources == ["payments-and-late-fees.md"]
    assert transport.requests[-1]["body"]["vectorQueries"][0]["vector"] == [0.0, 1.0, 0.0, 0.0]
    assert "8 p.m. Eastern Time" in chat_bodies[0]["messages"][-1]["content"]


def test_without_keys_both_clients_use_entra_id(azure_settings: Any) -> None:
    from azure.identity.aio import DefaultAzureCredential

    from services.knowledge.azure_openai_embeddings import make_azure_openai_client

    azure_settings.azure_openai.key = azure_settings.azure_openai.key.__class__("")
    azure_settings.azure_search.key = azure_settings.azure_search.key.__class__("")
    client = make_azure_openai_client(azure_settings)
    assert client._azure_ad_token_provider is not None and client.api_key != "test-key"
    index = AzureSearchIndex.from_settings(azure_settings, dimensions=4)
    assert isinstance(index._search._config.credential, DefaultAzureCredential)


async def test_language_model_tokens_reach_the_span_and_the_metrics(kb_index: Any, embedder: Any) -> None:
    from core.observability.metrics import VoicebotMetrics
    from core.observability.timing import TimedBackend
    from services.knowledge.service import RagKnowledge
    from tests.support.log_capture import captured_spans

    metrics = VoicebotMetrics()
    client = openai_client(lambda _req: httpx2.Response(200, json=chat_completion("Up to $40.")))
    generator = AzureOpenAIGenerator(client, "gpt-4o-mini", on_usage=metrics.record_llm_tokens)
    knowledge = RagKnowledge(kb_index, embedder, TimedBackend(generator, metrics, "llm"))
    with captured_spans() as spans:
        answer = await knowledge.answer("How much is the late fee on my credit card?", [], "en-US")
    assert answer.text == "Up to $40."
    assert metrics.llm_tokens.total(kind="prompt", purpose="knowledge") == 420
    assert metrics.llm_tokens.total(kind="completion", purpose="knowledge") == 30
    assert metrics.latency.summary(stage="llm")["count"] == 1
    by_name = {span.name: span for span in spans.get_finished_spans()}
    chat, stage = by_name["chat gpt-4o-mini"], by_name["llm"]
    assert chat.parent is not None and chat.parent.span_id == stage.context.span_id
    assert chat.attributes["gen_ai.usage.input_tokens"] == 420
    assert chat.attributes["gen_ai.usage.output_tokens"] == 30
    assert chat.attributes["voicebot.llm.purpose"] == "knowledge"
