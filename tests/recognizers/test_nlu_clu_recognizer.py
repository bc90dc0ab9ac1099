"""CluRecognizer against a fake azure-core transport answering with the analyze-conversations shape."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from config import CluSettings, RecognizerBackend, Settings
from dialogs.registry import registered_intents
from recognizers.base import (
    ENTITY_ACCOUNT_TYPE,
    ENTITY_AMOUNT,
    ENTITY_CARD_TYPE,
    ENTITY_DATETIME,
    LANGUAGE_PROPERTY,
    RecognizerUnavailable,
    first_entity,
    top_intent,
)
from recognizers.clu_recognizer import CluRecognizer
from recognizers.factory import create_recognizer
from tests.support.fake_azure import FakeAzureTransport, fixed_answer

ENDPOINT = "https://contoso-language.cognitiveservices.azure.com"
FAKE_KEY = "fake-language-key-for-tests"


def block_card_answer(query: str) -> dict[str, Any]:
    """A 200 body as the 2023-04-01 runtime returns it for a multilingual Conversation project."""
    offset = query.index("débito")
    return {
        "kind": "ConversationResult",
        "result": {
            "query": query,
            "prediction": {
                "topIntent": "BlockCard",
                "projectKind": "Conversation",
                "intents": [
                    {"category": "BlockCard", "confidenceScore": 0.9312},
                    {"category": "ReportFraud", "confidenceScore": 0.0411},
                    {"category": "None", "confidenceScore": 0.0},
                ],
                "entities": [
                    {
                        "category": "card_type",
                        "text": "débito",
                        "offset": offset,
                        "length": 6,
                        "confidenceScore": 1,
                        "extraInformation": [{"extraInformationKind": "ListKey", "key": "debit"}],
                    },
                    {
                        "category": "amount",
                        "text": "250 pesos",
                        "offset": query.index("250"),
                        "length": 9,
                        "confidenceScore": 1,
                        "resolutions": [
                            {
                                "resolutionKind": "CurrencyResolution",
                                "unit": "Mexican peso",
                                "ISO4217": "MXN",
                                "value": 250,
                            }
                        ],
                    },
                    {
                        "category": "date",
                        "text": "ayer",
                        "offset": query.index("ayer"),
                        "length": 4,
                        "confidenceScore": 1,
                        "resolutions": [
                            {
                                "resolutionKind": "DateTimeResolution",
                                "dateTimeSubKind": "Date",
                                "timex": "2026-11-23",
                                "value": "2026-11-23",
                            }
                        ],
                    },
                ],
            },
        },
    }


def FakeLanguageTransport(status: int = 200, body: Any = None, delay: float = 0.0) -> FakeAzureTransport:
    """Answers every request with ``status``/``body``; ``delay`` simulates a slow service."""
    return FakeAzureTransport(fixed_answer(status, body), delay=delay)


def clu_settings(**overrides: Any) -> Settings:
    values = {"endpoint": ENDPOINT, "key": FAKE_KEY, "timeout_seconds": 2.0, **overrides}
    return Settings(recognizer=RecognizerBackend.CLU, clu=CluSettings(**values))


async def test_clu_result_maps_to_the_recognizer_result_shape_and_sends_the_documented_request():
    transport = FakeLanguageTransport(
        body=lambda sent: block_card_answer(sent["analysisInput"]["conversationItem"]["text"])
    )
    recognizer = CluRecognizer(clu_settings(), registered_intents(), transport=transport)
    text = "eh bloquea la de débito me cobraron 250 pesos ayer"

    result = await recognizer.recognize_text(text, "es-MX")
    await recognizer.close()

    assert top_intent(result) == ("BlockCard", pytest.approx(0.9312))
    assert set(result.intents) == set(registered_intents())
    assert first_entity(result, ENTITY_CARD_TYPE) == "debit"
    assert first_entity(result, ENTITY_AMOUNT) == {"value": "250.00", "unit": "Mexican peso"}
    assert first_entity(result, ENTITY_DATETIME)["value"] == "2026-11-23"
    assert result.properties[LANGUAGE_PROPERTY] == "es"

    [sent] = transport.requests
    url = urlparse(sent["url"])
    assert sent["method"] == "POST"
    assert (url.netloc, url.path) == (
        "contoso-language.cognitiveservices.azure.com",
        "/language/:analyze-conversations",
    )
    assert parse_qs(url.query)["api-version"] == ["2023-04-01"]
    assert sent["headers"]["Ocp-Apim-Subscription-Key"] == FAKE_KEY
    body = sent["body"]
    assert body["kind"] == "Conversation"
    item = body["analysisInput"]["conversationItem"]
    assert {k: item[k] for k in ("text", "language", "modality", "participantId")} == {
        "text": text,
        "language": "es",
        "modality": "text",
        "participantId": "caller",
    }
    assert item["id"]
    assert body["parameters"]["projectName"] == "contoso-banking"
    assert body["parameters"]["deploymentName"] == "production"
    assert body["parameters"]["verbose"] is True


async def test_list_entities_without_a_list_key_are_ignored_and_local_numbers_fill_in():
    answer = {
        "kind": "ConversationResult",
        "result": {
            "query": "check my savings balance 1234",
            "prediction": {
                "topIntent": "CheckBalance",
                "projectKind": "Conversation",
                "intents": [{"category": "CheckBalance", "confidenceScore": 0.88}],
                "entities": [
                    {
                        "category": "account_type",
                        "text": "savings",
                        "offset": 9,
                        "length": 7,
                        "confidenceScore": 1,
                        "extraInformation": [{"extraInformationKind": "ListKey", "key": "savings"}],
                    },
                    {
                        "category": "account_type",
                        "text": "balance",
                        "offset": 17,
                        "length": 7,
                        "confidenceScore": 0.4,
                    },
                ],
            },
        },
    }
    recognizer = CluRecognizer(
        clu_settings(), registered_intents(), transport=FakeLanguageTransport(body=answer)
    )
    result = await recognizer.recognize_text("check my savings balance 1234", "en-US")
    assert result.entities[ENTITY_ACCOUNT_TYPE] == ["savings"]
    assert result.entities["number"] == ["1234"]
    assert result.properties[LANGUAGE_PROPERTY] == "en"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, {"error": {"code": "401", "message": "Access denied due to invalid subscription key."}}),
        (500, {"error": {"code": "InternalServerError", "message": "Internal error"}}),
        (404, {"error": {"code": "DeploymentNotFound", "message": "Deployment not found"}}),
        (200, {"kind": "ConversationResult", "result": {"query": "x"}}),  # no prediction
    ],
)
async def test_service_errors_become_recognizer_unavailable(status, body):
    recognizer = CluRecognizer(
        clu_settings(), registered_intents(), transport=FakeLanguageTransport(status=status, body=body)
    )
    with pytest.raises(RecognizerUnavailable) as caught:
        await recognizer.recognize_text("what's my balance", "en-US")
    assert "balance" not in str(caught.value)  # the utterance is never echoed into errors/logs


async def test_a_slow_service_times_out_as_unavailable():
    transport = FakeLanguageTransport(body=block_card_answer("la de débito ayer 250 pesos"), delay=5)
    recognizer = CluRecognizer(clu_settings(timeout_seconds=0.2), registered_intents(), transport=transport)
    started = asyncio.get_running_loop().time()
    with pytest.raises(RecognizerUnavailable, match="within"):
        await recognizer.recognize_text("la de débito ayer 250 pesos", "es-MX")
    assert asyncio.get_running_loop().time() - started < 2


async def test_missing_endpoint_is_unavailable_not_a_crash():
    recognizer = CluRecognizer(
        Settings(recognizer=RecognizerBackend.CLU, clu=CluSettings(endpoint="")), registered_intents()
    )
    with pytest.raises(RecognizerUnavailable, match="endpoint"):
        await recognizer.recognize_text("hello", "en-US")


def test_factory_picks_the_backend_from_settings(tmp_path):
    from recognizers.embedded_recognizer import EmbeddedRecognizer

    clu = create_recognizer(clu_settings(), registered_intents())
    assert isinstance(clu.azure, CluRecognizer)  # with its embedded twin (recognizers/fallback.py)
    embedded = create_recognizer(Settings(data_dir=tmp_path), registered_intents())
    assert isinstance(embedded, EmbeddedRecognizer)
    assert not embedded.is_trained  # trains on warm_up, not on construction
