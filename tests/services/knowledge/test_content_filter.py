"""Azure OpenAI's content filter is a blocked answer, not an outage: the caller hears the decline."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from openai import AsyncAzureOpenAI

from services.knowledge.azure_openai_generator import FILTERED_EVENT, AzureOpenAIGenerator
from services.knowledge.base import KnowledgeUnavailable
from services.knowledge.phrases import BLOCKED, phrase
from services.knowledge.service import RagKnowledge
from tests.services.knowledge.conftest import chat_completion
from tests.support.events import RecordedEvents

# The 400 Azure OpenAI answers when the prompt trips the filter (documented shape, "Content filtering").
PROMPT_FILTERED = {
    "error": {
        "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management "
        "policy. Please modify your prompt and retry. To learn more about our content filtering policies "
        "please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
        "type": None,
        "param": "prompt",
        "code": "content_filter",
        "status": 400,
        "innererror": {
            "code": "ResponsibleAIPolicyViolation",
            "content_filter_result": {
                "hate": {"filtered": False, "severity": "safe"},
                "jailbreak": {"filtered": False, "detected": False},
                "self_harm": {"filtered": False, "severity": "safe"},
                "sexual": {"filtered": False, "severity": "safe"},
                "violence": {"filtered": True, "severity": "medium"},
            },
        },
    }
}


def completion_filtered() -> dict[str, Any]:
    """A 200 whose generated output was filtered: no content, ``finish_reason`` ``content_filter``."""
    body = chat_completion("")
    body["choices"][0].update(
        finish_reason="content_filter",
        message={"role": "assistant", "content": None, "refusal": None},
        content_filter_results={"violence": {"filtered": True, "severity": "medium"}},
    )
    return body


def knowledge_answering(kb_index: Any, embedder: Any, status: int, body: Any, events: RecordedEvents):
    client = AsyncAzureOpenAI(
        azure_endpoint="https://contoso-aoai.openai.azure.com",
        api_key="test-key",
        api_version="2024-10-21",
        max_retries=0,
        http_client=httpx2.AsyncClient(
            transport=httpx2.MockTransport(lambda _req: httpx2.Response(status, json=body))
        ),
    )
    return RagKnowledge(kb_index, embedder, AzureOpenAIGenerator(client, "gpt-4o-mini", telemetry=events))


@pytest.mark.parametrize(
    ("status", "body", "stage"),
    [(400, PROMPT_FILTERED, "prompt"), (200, completion_filtered(), "completion")],
)
@pytest.mark.parametrize(
    ("question", "locale"),
    [
        ("How much is the late fee on my credit card?", "en-US"),
        ("¿Cuánto es el cargo por pago tardío de mi tarjeta?", "es-MX"),
    ],
)
async def test_a_filtered_answer_is_the_spoken_decline_and_counted(
    kb_index: Any, embedder: Any, status: int, body: Any, stage: str, question: str, locale: str
) -> None:
    events = RecordedEvents()
    knowledge = knowledge_answering(kb_index, embedder, status, body, events)

    answer = await knowledge.answer(question, [], locale)

    assert answer.blocked and not answer.grounded and answer.sources == []
    assert answer.text == phrase(BLOCKED, locale)
    assert events.named(FILTERED_EVENT) == [{"stage": stage, "deployment": "gpt-4o-mini"}]


async def test_another_bad_request_is_still_an_outage_and_not_counted_as_filtered(
    kb_index: Any, embedder: Any
) -> None:
    events = RecordedEvents()
    too_long = {
        "error": {
            "message": "This model's maximum context length is 128000 tokens (mentions content_filter).",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "context_length_exceeded",
        }
    }
    knowledge = knowledge_answering(kb_index, embedder, 400, too_long, events)
    with pytest.raises(KnowledgeUnavailable):
        await knowledge.answer("How much is the late fee on my credit card?", [], "en-US")
    assert events.named(FILTERED_EVENT) == []
