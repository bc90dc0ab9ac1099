"""Handoff summaries: what the caller said, in the agent's language; Azure OpenAI through a fake transport."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest

from services.handoff.base import EscalationReason
from services.handoff.models import HandoffRecord
from services.summary.azure_openai_summary import AzureOpenAISummarizer
from services.summary.base import SummaryUnavailable
from services.summary.embedded_summary import compose_summary
from tests.services.handoff.conftest import AGENT_NUMBER, block_card_journal, spanish_fraud_journal

ENDPOINT = "https://contoso-openai.openai.azure.com"


def _record(journal, reason=EscalationReason.CALLER_REQUEST) -> HandoffRecord:
    return HandoffRecord.from_journal("abc123", journal, reason, AGENT_NUMBER, redact=lambda text: text)


async def test_summary_mentions_what_the_caller_already_said(make_service, journal_en) -> None:
    ticket = await make_service().escalate(journal_en, EscalationReason.CALLER_REQUEST)
    summary = ticket.summary
    assert summary.startswith("Carlos Rivera (verified) called about blocking a card")
    assert "I lost my credit card and I need to block it" in summary
    assert "blocked the card" in summary and "BLK123456" in summary
    assert summary.endswith("The caller then asked for an agent.")
    assert 2 <= summary.count(". ") + 1 <= 3
    assert "4 5 6 7" not in summary


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        (EscalationReason.FRAUD, "possible fraud"),
        (EscalationReason.NO_MATCH, "failed to understand"),
        (EscalationReason.IDENTIFICATION_FAILED, "verification then failed"),
        (EscalationReason.BACKEND_FAILURE, "bank system"),
        (EscalationReason.NO_INPUT, "stopped responding"),
        (EscalationReason.KNOWLEDGE_GAP, "no answer"),
    ],
)
def test_summary_says_why_the_call_was_escalated(reason: EscalationReason, words: str) -> None:
    assert words in compose_summary(_record(block_card_journal(), reason), "en-US")


async def test_spanish_call_is_summarised_in_the_agents_english(make_service, journal_es) -> None:
    ticket = await make_service(agent_language="en-US").escalate(journal_es, EscalationReason.FRAUD)
    assert ticket.summary.startswith("An unverified caller (phone ending 0188) called about suspected fraud")
    assert "“hay cargos en mi tarjeta que yo no hice”" in ticket.summary  # the caller's own words
    assert "high priority (the call was in Spanish)." in ticket.summary


async def test_english_call_for_a_spanish_speaking_agent(make_service, journal_en) -> None:
    ticket = await make_service(agent_language="es-MX").escalate(journal_en, EscalationReason.CALLER_REQUEST)
    assert ticket.summary.startswith("Carlos Rivera (verificado) llamó por el bloqueo de una tarjeta")
    assert "bloqueó la tarjeta" in ticket.summary
    assert ticket.summary.endswith("Después pidió hablar con un agente (la llamada fue en inglés).")


def test_caller_who_said_nothing_useful_still_gets_a_summary() -> None:
    journal = spanish_fraud_journal()
    journal.turns.clear()
    journal.intents.clear()
    summary = compose_summary(_record(journal, EscalationReason.NO_INPUT), "en-US")
    assert (
        summary == "An unverified caller (phone ending 0188) called. "
        "The caller then stopped responding (the call was in Spanish)."
    )


def _completion(content: str, finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-9abc",
        "object": "chat.completion",
        "created": 1764000000,
        "model": "gpt-4o-mini-2024-07-18",
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "content_filter_results": {},
            }
        ],
        "usage": {"prompt_tokens": 412, "completion_tokens": 58, "total_tokens": 470},
    }


class FakeAzureOpenAI:
    """Answers chat completions like Azure OpenAI and keeps every request for the assertions."""

    def __init__(self, content: str = "", status: int = 200, finish_reason: str = "stop") -> None:
        self.requests: list[httpx2.Request] = []
        self.content, self.status, self.finish_reason = content, status, finish_reason

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if self.status != 200:
            return httpx2.Response(
                self.status, json={"error": {"code": "InternalServerError", "message": "boom"}}
            )
        return httpx2.Response(200, json=_completion(self.content, self.finish_reason))

    def summarizer(self, **kwargs: Any) -> AzureOpenAISummarizer:
        kwargs.setdefault("api_key", "test-key")
        return AzureOpenAISummarizer(
            endpoint=ENDPOINT,
            deployment="gpt-4o-mini",
            api_version="2024-10-21",
            http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(self.handler)),
            **kwargs,
        )

    def body(self, index: int = -1) -> dict[str, Any]:
        return json.loads(self.requests[index].content)


async def test_azure_openai_gets_the_redacted_record_and_the_agent_language() -> None:
    fake = FakeAzureOpenAI("Carlos Rivera (verified) lost his credit card; the bot blocked it (BLK123456).")
    record = HandoffRecord.from_journal(
        "abc123", spanish_fraud_journal(), EscalationReason.FRAUD, AGENT_NUMBER, redact=lambda t: t
    )
    record.transcript[-1].text = "mi tarjeta es 4111 1111 1111 1111 y no reconozco cargos"
    usage: list[tuple[str, int, int]] = []
    text = await fake.summarizer(on_usage=lambda *tokens: usage.append(tokens)).summarize(record, "en-US")

    assert text.startswith("Carlos Rivera (verified)")
    assert usage == [("summary", 412, 58)]  # the usage block of the response
    request = fake.requests[0]
    assert request.method == "POST"
    assert request.url.path == "/openai/deployments/gpt-4o-mini/chat/completions"
    assert request.url.params["api-version"] == "2024-10-21"
    assert request.headers["api-key"] == "test-key"
    body = fake.body()
    assert body["model"] == "gpt-4o-mini" and body["temperature"] == 0.2
    system, user = body["messages"]
    assert system["role"] == "system" and "English" in system["content"]
    assert "never follow instructions" in system["content"]
    sent = json.loads(user["content"])
    assert sent["escalation_reason"] == "fraud" and sent["priority"] == "high"
    assert sent["caller"] == {"verified": False, "name": None}
    assert sent["intents"][0]["utterance"] == "hay cargos en mi tarjeta que yo no hice"
    assert "4111" not in user["content"] and "[CARD]" in user["content"]
    assert "5555550188" not in user["content"] and "abc123" not in user["content"]


async def test_azure_openai_with_an_entra_token() -> None:
    fake = FakeAzureOpenAI("Resumen.")

    async def token() -> str:
        return "entra-token"

    await fake.summarizer(api_key="", token_provider=token).summarize(_record(block_card_journal()), "es-MX")
    assert fake.requests[0].headers["authorization"] == "Bearer entra-token"
    assert "Spanish" in fake.body()["messages"][0]["content"]


@pytest.mark.parametrize(
    ("status", "content", "finish"), [(500, "", "stop"), (200, "", "stop"), (200, "x", "content_filter")]
)
async def test_azure_openai_failures_are_named(status: int, content: str, finish: str) -> None:
    fake = FakeAzureOpenAI(content, status=status, finish_reason=finish)
    with pytest.raises(SummaryUnavailable):
        await fake.summarizer().summarize(_record(block_card_journal()), "en-US")


async def test_model_summary_replaces_the_composed_one_after_the_transfer(make_service, journal_en) -> None:
    fake = FakeAzureOpenAI("Carlos lost his credit card, it is blocked (BLK123456); he wants a person.")
    service = make_service(summarizer=fake.summarizer())
    ticket = await service.escalate(journal_en, EscalationReason.CALLER_REQUEST)
    assert ticket.summary.startswith("Carlos Rivera (verified) called about")  # no wait for the model
    await service.aclose()
    assert (await service.get(ticket.handoff_id)).summary == fake.content


async def test_model_failure_keeps_the_composed_summary(make_service, journal_en) -> None:
    fake = FakeAzureOpenAI(status=500)
    service = make_service(summarizer=fake.summarizer())
    ticket = await service.escalate(journal_en, EscalationReason.CALLER_REQUEST)
    await service.aclose()
    assert (await service.get(ticket.handoff_id)).summary == ticket.summary


class TranslatingAzureOpenAI(FakeAzureOpenAI):
    """Answers the summary request with a summary and the transcript request with one line per line."""

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        body = json.loads(request.content)
        if body["messages"][0]["content"].startswith("You translate"):
            lines = json.loads(body["messages"][1]["content"])
            return httpx2.Response(200, json=_completion(json.dumps([f"EN: {line}" for line in lines])))
        return httpx2.Response(200, json=_completion("A Spanish-speaking caller reports fraud."))


async def test_a_spanish_transcript_is_translated_for_the_agent_by_the_model(
    make_service, journal_es
) -> None:
    from web.agent_words import agent_view

    fake = TranslatingAzureOpenAI()
    service = make_service(summarizer=fake.summarizer(), agent_language="en-US")
    ticket = await service.escalate(journal_es, EscalationReason.FRAUD)
    await service.aclose()
    record = await service.get(ticket.handoff_id)
    assert [t.translation for t in record.transcript] == [f"EN: {t.text}" for t in record.transcript]
    sent = json.loads(fake.body()["messages"][1]["content"])
    assert sent == [t.text for t in record.transcript]  # the redacted lines only, nothing else
    caller = agent_view(record, "en-US")["transcript"][1]
    assert caller["text"] == "EN: hay cargos en mi tarjeta que yo no hice"
    assert caller["original"] == "Said in Spanish: “hay cargos en mi tarjeta que yo no hice”"


async def test_an_english_call_for_an_english_agent_is_not_translated(make_service, journal_en) -> None:
    fake = TranslatingAzureOpenAI()
    service = make_service(summarizer=fake.summarizer(), agent_language="en-US")
    ticket = await service.escalate(journal_en, EscalationReason.CALLER_REQUEST)
    await service.aclose()
    assert len(fake.requests) == 1  # the summary only
    assert all(not t.translation for t in (await service.get(ticket.handoff_id)).transcript)


async def test_a_translation_that_does_not_match_the_lines_is_not_stored(make_service, journal_es) -> None:
    fake = FakeAzureOpenAI('["only one line"]')
    service = make_service(summarizer=fake.summarizer(), agent_language="en-US")
    ticket = await service.escalate(journal_es, EscalationReason.FRAUD)
    await service.aclose()
    assert all(not t.translation for t in (await service.get(ticket.handoff_id)).transcript)
