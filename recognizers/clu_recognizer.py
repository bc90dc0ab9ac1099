"""Azure AI Language CLU recognizer: the deployed banking project through the async SDK."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Collection
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from azure.ai.language.conversations.aio import ConversationAnalysisClient
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import AzureError
from botbuilder.core import IntentScore, RecognizerResult

from config import Settings
from locales import languages
from recognizers.base import (
    ENTITY_ACCOUNT_TYPE,
    ENTITY_AMOUNT,
    ENTITY_CARD_TYPE,
    ENTITY_DATETIME,
    ENTITY_NUMBER,
    NONE_INTENT,
    CallerRecognizer,
    RecognizerUnavailable,
    build_result,
)
from recognizers.entities import shared_builtin_extractor
from recognizers.language import detect_language
from recognizers.language import load_model as load_language_model
from recognizers.text import clean

logger = logging.getLogger(__name__)

LIST_CATEGORIES: frozenset[str] = frozenset({ENTITY_ACCOUNT_TYPE, ENTITY_CARD_TYPE})
# Project entity category -> key in RecognizerResult.entities.
BUILTIN_CATEGORIES: dict[str, str] = {
    "amount": ENTITY_AMOUNT,
    "date": ENTITY_DATETIME,
    "number": ENTITY_NUMBER,
}
_ids = itertools.count(1)
OutOfScopeScorer = Callable[[str, dict[str, float]], dict[str, float]]
"""(utterance, intent scores) -> scores with the out-of-scope share moved to None (blocking)."""


def build_task(text: str, language: str, project_name: str, deployment_name: str) -> dict[str, Any]:
    """The analyze-conversations request body (REST 2023-04-01)."""
    return {
        "kind": "Conversation",
        "analysisInput": {
            "conversationItem": {
                "id": str(next(_ids)),
                "participantId": "caller",
                "text": text,
                "language": languages.language_for(language).clu_language,
                "modality": "text",
            }
        },
        "parameters": {
            "projectName": project_name,
            "deploymentName": deployment_name,
            "stringIndexType": "UnicodeCodePoint",  # offsets index Python strings directly
            "verbose": True,
        },
    }


def _amount(resolution: dict[str, Any]) -> dict[str, str] | None:
    try:
        value = Decimal(str(resolution["value"])).quantize(Decimal("0.01"))
    except (KeyError, InvalidOperation):
        return None
    return {"value": str(value), "unit": str(resolution.get("unit") or "")}


def _moment(resolution: dict[str, Any], text: str) -> dict[str, str] | None:
    kind = resolution.get("resolutionKind")
    if kind == "DateTimeResolution":
        item = {
            "type": str(resolution.get("dateTimeSubKind", "date")).lower(),
            "value": str(resolution["value"]),
        }
        if resolution.get("timex"):
            item["timex"] = str(resolution["timex"])
    elif kind == "TemporalSpanResolution":
        item = {"type": "daterange"}
        for source, target in (("begin", "start"), ("end", "end"), ("timex", "timex"), ("modifier", "mod")):
            if resolution.get(source):
                item[target] = str(resolution[source])
    else:
        return None
    item["text"] = text
    return item


def map_prediction(
    text: str, language: str, prediction: dict[str, Any], intents: Collection[str]
) -> RecognizerResult:
    """The CLU ``result.prediction`` object -> the RecognizerResult shape every recognizer returns:
    a score for each of ``intents`` (the registered ones and None), whatever CLU listed."""
    scores = dict.fromkeys((*intents, NONE_INTENT), 0.0)
    for item in prediction.get("intents", []):
        if item.get("category") in scores:
            scores[item["category"]] = float(item.get("confidenceScore", 0.0))
    entities: dict[str, list[Any]] = {}
    for entity in prediction.get("entities", []):
        category = entity.get("category")
        if category in LIST_CATEGORIES:
            keys = [
                info["key"]
                for info in entity.get("extraInformation") or []
                if info.get("extraInformationKind") == "ListKey" and info.get("key")
            ]
            for key in keys:
                if key not in entities.setdefault(category, []):
                    entities[category].append(key)
        elif category in BUILTIN_CATEGORIES:
            target = BUILTIN_CATEGORIES[category]
            for resolution in entity.get("resolutions") or []:
                kind = resolution.get("resolutionKind")
                value: Any = None
                if kind == "CurrencyResolution":
                    value = _amount(resolution)
                elif kind in ("DateTimeResolution", "TemporalSpanResolution"):
                    value = _moment(resolution, str(entity.get("text", "")))
                elif kind == "NumberResolution":
                    value = format(Decimal(str(resolution.get("value"))).normalize(), "f")
                if value is not None:
                    entities.setdefault(target, []).append(value)
    return build_result(text, scores, entities, language)


class CluRecognizer(CallerRecognizer):
    """Recognizes with a deployed CLU project; raises RecognizerUnavailable on any service failure.

    Amounts, dates and numbers CLU did not resolve are filled in locally by Recognizers-Text, so both
    recognizers return the same entity keys.
    """

    def __init__(
        self,
        settings: Settings,
        intents: Collection[str],
        *,
        credential: Any = None,
        out_of_scope: OutOfScopeScorer | None = None,
        **client_kwargs: Any,
    ) -> None:
        self._settings = settings.clu
        self._intents = tuple(intents)  # the registered ones (dialogs/registry.py); CLU's model has them
        self._out_of_scope = out_of_scope
        self._credential = credential
        self._client_kwargs = client_kwargs  # e.g. transport= in tests
        self._client: ConversationAnalysisClient | None = None
        self._builtins = shared_builtin_extractor()

    def _get_client(self) -> ConversationAnalysisClient:
        if self._client is None:
            if not self._settings.endpoint:
                raise RecognizerUnavailable("CLU endpoint is not configured (CLU__ENDPOINT)")
            credential = self._credential
            if credential is None:
                key = self._settings.key.get_secret_value()
                if key:
                    credential = AzureKeyCredential(key)
                else:
                    from azure.identity.aio import DefaultAzureCredential

                    credential = DefaultAzureCredential()
            self._client_kwargs.setdefault("retry_total", 1)  # a caller is waiting on the line
            self._client = ConversationAnalysisClient(
                self._settings.endpoint, credential, **self._client_kwargs
            )
        return self._client

    async def warm_up(self) -> None:
        self._get_client()
        await asyncio.to_thread(self._builtins.warm_up)
        await asyncio.to_thread(load_language_model)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def _gate(self, text: str, result: RecognizerResult) -> None:
        """CLU's scores through the same out-of-scope gate as the embedded recognizer's."""
        assert self._out_of_scope is not None
        scores = {name: float(score.score or 0.0) for name, score in result.intents.items()}
        gated = await asyncio.to_thread(self._out_of_scope, text, scores)
        result.intents = {name: IntentScore(score=score) for name, score in gated.items()}

    async def recognize_text(self, text: str, locale_hint: str | None = None) -> RecognizerResult:
        language = detect_language(text, locale_hint)
        if not clean(text):
            silence = {"intents": [{"category": NONE_INTENT, "confidenceScore": 1.0}]}
            return map_prediction(text, language, silence, self._intents)
        task = build_task(text, language, self._settings.project_name, self._settings.deployment_name)
        try:
            async with asyncio.timeout(self._settings.timeout_seconds):
                response = await self._get_client().analyze_conversation(task)
            result = map_prediction(text, language, response["result"]["prediction"], self._intents)
        except TimeoutError as exc:
            raise RecognizerUnavailable(
                f"CLU did not answer within {self._settings.timeout_seconds} s"
            ) from exc
        except AzureError as exc:
            # The message names the status and error code only: the utterance may hold personal data.
            raise RecognizerUnavailable(f"CLU request failed: {type(exc).__name__}") from exc
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise RecognizerUnavailable("CLU answered with an unexpected shape") from exc
        if self._out_of_scope is not None:
            await self._gate(text, result)
        local = await asyncio.to_thread(self._builtins.extract, text, language, datetime.now())
        for key, values in local.items():
            result.entities.setdefault(key, values)
        return result
