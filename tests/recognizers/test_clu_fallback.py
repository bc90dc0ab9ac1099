"""CLU unreachable or slow: the embedded twin recognises that turn, telemetry says so, a circuit opens."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from config import CluSettings, RecognizerBackend, ResilienceSettings, Settings
from core.resilience import DEGRADED_EVENT, TwinFallback
from dialogs.registry import registered_intents
from recognizers.base import top_intent
from recognizers.clu_recognizer import CluRecognizer
from recognizers.factory import create_recognizer
from recognizers.fallback import FallbackRecognizer
from tests.support.bot_harness import dialog_harness
from tests.support.events import RecordedEvents
from tests.support.fake_azure import FakeAzureTransport, fixed_answer


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def clu_settings(endpoint: str, timeout: float = 2.0, **extra: Any) -> Settings:
    return Settings(
        _env_file=None,
        recognizer=RecognizerBackend.CLU,
        clu=CluSettings(endpoint=endpoint, key="fake-language-key", timeout_seconds=timeout),
        resilience=ResilienceSettings(breaker_failures=3, breaker_reset_seconds=60),
        **extra,
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def with_twin(clu: CluRecognizer, twin: Any, events: RecordedEvents, clock: Clock | None = None):
    return FallbackRecognizer(clu, twin, TwinFallback("clu", 3, 60, events, clock or Clock()))


def test_the_factory_gives_clu_its_embedded_twin() -> None:
    recognizer = create_recognizer(
        clu_settings("https://contoso-language.cognitiveservices.azure.com"), registered_intents()
    )
    assert isinstance(recognizer, FallbackRecognizer)
    assert isinstance(recognizer.azure, CluRecognizer)


async def test_a_closed_port_is_answered_by_the_embedded_twin(trained_recognizer) -> None:
    events = RecordedEvents()
    recognizer = with_twin(
        CluRecognizer(clu_settings(closed_port_url()), registered_intents()), trained_recognizer, events
    )
    result = await recognizer.recognize_text("I want to block my debit card", "en-US")
    await recognizer.close()
    assert top_intent(result)[0] == "BlockCard"
    [event] = events.named(DEGRADED_EVENT)
    assert event["dependency"] == "clu" and event["reason"] == "RecognizerUnavailable"


async def test_a_slow_clu_is_cut_at_its_budget(trained_recognizer) -> None:
    transport = FakeAzureTransport(fixed_answer(200, {}), delay=120)  # CLU would hold the caller 2 min
    clu = CluRecognizer(
        clu_settings("https://x.cognitiveservices.azure.com", 0.2), registered_intents(), transport=transport
    )
    events = RecordedEvents()
    started = asyncio.get_running_loop().time()
    result = await with_twin(clu, trained_recognizer, events).recognize_text("¿cuál es mi saldo?", "es-MX")
    assert asyncio.get_running_loop().time() - started < 60  # 0.2 s budget + the twin (slow on a busy CI)
    assert top_intent(result)[0] == "CheckBalance"
    assert len(events.named(DEGRADED_EVENT)) == 1


async def test_after_three_failures_the_circuit_opens_then_one_trial_closes_it(trained_recognizer) -> None:
    status = {"code": 503}

    def answer(method: str, url: str, body: Any) -> tuple[int, Any]:
        if status["code"] != 200:
            return status["code"], {"error": {"code": "ServiceUnavailable", "message": "down"}}
        prediction = {"topIntent": "Goodbye", "intents": [{"category": "Goodbye", "confidenceScore": 0.97}]}
        return 200, {"kind": "ConversationResult", "result": {"query": "x", "prediction": prediction}}

    transport = FakeAzureTransport(answer)
    clu = CluRecognizer(
        clu_settings("https://x.cognitiveservices.azure.com"), registered_intents(), transport=transport
    )
    events, clock = RecordedEvents(), Clock()
    recognizer = with_twin(clu, trained_recognizer, events, clock)
    for _ in range(3):
        await recognizer.recognize_text("what's my balance", "en-US")
    reached = len(transport.requests)
    result = await recognizer.recognize_text("what's my balance", "en-US")
    assert len(transport.requests) == reached  # open: CLU is not asked at all
    assert top_intent(result)[0] == "CheckBalance"
    assert events.named(DEGRADED_EVENT)[-1]["reason"] == "circuit_open"

    status["code"] = 200
    clock.now += 61
    assert top_intent(await recognizer.recognize_text("bye", "en-US")) == ("Goodbye", pytest.approx(0.97))
    assert recognizer.fallback.breaker.state == "closed"


async def test_the_caller_with_clu_down_is_served_not_looped(bot_settings, trained_recognizer) -> None:
    settings = bot_settings.model_copy(
        update={"recognizer": RecognizerBackend.CLU, "clu": CluSettings(endpoint=closed_port_url(), key="k")}
    )
    recognizer = with_twin(
        CluRecognizer(settings, registered_intents()), trained_recognizer, RecordedEvents()
    )
    caller = await dialog_harness(settings, recognizer, "+14255550100", "en-US")
    replies = " ".join(await caller.say("what's the balance of my savings account"))
    assert "something went wrong" not in replies
    assert "PIN" in replies
    assert "1,250 dollars and 40 cents" in " ".join(await caller.say("1234"))
