"""AI Search and Azure OpenAI unreachable: the caller still gets an answer, the embedded twin's plainer
(extractive) one from the same documents, and telemetry records the degraded dependency."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from config import GeneratorBackend, KnowledgeBackend, Settings
from core.resilience import DEGRADED_EVENT, TwinFallback
from services.knowledge.factory import create_knowledge
from tests.support.events import RecordedEvents


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def azure_down(**extra: Any) -> Settings:
    values: dict[str, Any] = {
        "knowledge": KnowledgeBackend.AZURE,
        "generator": GeneratorBackend.AZURE_OPENAI,
        "knowledge_embeddings": GeneratorBackend.AZURE_OPENAI,
        **extra,
    }
    return Settings(
        _env_file=None,
        azure_openai={
            "endpoint": closed_port_url(),
            "key": "k",
            "embedding_dimensions": 4,
            "timeout_seconds": 2,
        },
        azure_search={"endpoint": closed_port_url(), "key": "k", "timeout_seconds": 2},
        **values,
    )


async def test_with_search_and_openai_down_the_caller_hears_the_extractive_answer(kb_index_dir: Path) -> None:
    knowledge = create_knowledge(azure_down(), index_path=kb_index_dir, refresh=False)
    events = RecordedEvents()
    knowledge.fallback = TwinFallback("knowledge", 3, 60, events)
    await knowledge.warm_up()

    answer = await knowledge.answer("How much is the late fee on my credit card?", [], "en-US")

    assert answer.grounded and "$40" in answer.text
    assert answer.sources and answer.sources[0] == "payments-and-late-fees.md"
    [event] = events.named(DEGRADED_EVENT)
    assert event["dependency"] == "knowledge" and event["reason"] == "KnowledgeUnavailable"


async def test_with_only_the_language_model_down_spanish_callers_get_an_answer_too(
    kb_index_dir: Path,
) -> None:
    settings = azure_down(knowledge=KnowledgeBackend.EMBEDDED, knowledge_embeddings=GeneratorBackend.EMBEDDED)
    knowledge = create_knowledge(settings, index_path=kb_index_dir, refresh=False)
    knowledge.fallback = TwinFallback("knowledge", 3, 60, RecordedEvents())
    answer = await knowledge.answer("¿Cuánto es el cargo por pago tardío de la tarjeta?", [], "es-MX")
    assert answer.grounded and "40" in answer.text
