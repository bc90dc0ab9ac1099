"""The offline recognizer: dev-set accuracy per language, robustness, calibration, result shape."""

from __future__ import annotations

import time

import pytest
from nlu_testdata import load_dev_set

from config import RoutingSettings
from dialogs.registry import registered_intents
from recognizers.base import (
    ENTITY_ACCOUNT_TYPE,
    ENTITY_AMOUNT,
    ENTITY_CARD_TYPE,
    ENTITY_DATETIME,
    LANGUAGE_PROPERTY,
    first_entity,
    top_intent,
)

ROUTING = RoutingSettings()


@pytest.fixture(scope="module")
def dev_predictions(nlu):
    dev = load_dev_set()
    scores = nlu.intent_scores([d["text"] for d in dev])
    return [(d, max(s, key=s.get), max(s.values())) for d, s in zip(dev, scores, strict=True)]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_dev_set_accuracy_is_at_least_90_percent_per_language(dev_predictions, lang):
    rows = [(d, top) for d, top, _ in dev_predictions if d["lang"] == lang]
    misses = [(d["text"], d["intent"], top) for d, top in rows if top != d["intent"]]
    accuracy = 1 - len(misses) / len(rows)
    print(f"dev accuracy [{lang}] {accuracy:.3f}; misses: {misses}")
    assert accuracy >= 0.90, misses


def test_confident_predictions_are_reliable(dev_predictions):
    """Calibration in practice: what clears the run threshold is right, and most utterances clear it."""
    confident = [(d, top) for d, top, score in dev_predictions if score >= ROUTING.high_threshold]
    precision = sum(d["intent"] == top for d, top in confident) / len(confident)
    coverage = len(confident) / len(dev_predictions)
    print(f"at >= {ROUTING.high_threshold}: precision {precision:.3f}, coverage {coverage:.3f}")
    assert precision >= 0.95
    assert coverage >= 0.80


async def test_result_has_every_intent_entities_and_language(nlu):
    result = await nlu.recognize_text("um i want to check the balance of my savings", "en-US")
    assert set(result.intents) == set(registered_intents())
    assert abs(sum(s.score for s in result.intents.values()) - 1.0) < 1e-6
    assert top_intent(result)[0] == "CheckBalance"
    assert first_entity(result, ENTITY_ACCOUNT_TYPE) == "savings"
    assert result.properties[LANGUAGE_PROPERTY] == "en"
    assert result.text == "um i want to check the balance of my savings"
    assert result.altered_text == "i want to check the balance of my savings"


@pytest.mark.parametrize(
    ("text", "hint", "intent"),
    [
        ("UM I WANT TO CHECK MY BALANCE", "en-US", "CheckBalance"),
        ("uh uh block block my card card", "en-US", "BlockCard"),
        ("i lost me card", "en-US", "BlockCard"),  # ASR substitution
        ("transfer me two an agent", "en-US", "TalkToAgent"),  # ASR homophone
        ("what's my balance?!", "en-US", "CheckBalance"),
        ("este pues cuanto tengo en mi cuenta de ahorros", "es-MX", "CheckBalance"),
        ("CUANTO TENGO EN AHORROS", "es-MX", "CheckBalance"),
        ("bloquear mi tarjeta de debito", "es-MX", "BlockCard"),  # no accents
        ("perdi mi tarjeta de credito", "es-MX", "BlockCard"),
        ("quiero ablar con un asesor", "es-MX", "TalkToAgent"),  # dropped h
        ("eh eh me lo repite", "es-MX", "Repeat"),
        ("hay un cargo que yo no ise", "es-MX", "ReportFraud"),  # misspelt hice
    ],
)
async def test_robust_to_fillers_case_accents_and_asr_noise(nlu, text, hint, intent):
    result = await nlu.recognize_text(text, hint)
    assert top_intent(result)[0] == intent


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("how much is in my savings", ENTITY_ACCOUNT_TYPE, "savings"),
        ("cuanto hay en mi cuenta de ahorros", ENTITY_ACCOUNT_TYPE, "savings"),
        ("bloquea la de débito", ENTITY_CARD_TYPE, "debit"),
        ("saldo de cheques", ENTITY_ACCOUNT_TYPE, "checking"),
    ],
)
async def test_entities_come_back_canonical(nlu, text, key, value):
    result = await nlu.recognize_text(text)
    assert first_entity(result, key) == value


async def test_amount_and_date_entities_in_both_languages(nlu):
    english = await nlu.recognize_text("i want to pay 200 dollars on my credit card next friday", "en-US")
    assert first_entity(english, ENTITY_AMOUNT) == {"value": "200.00", "unit": "Dollar"}
    assert first_entity(english, ENTITY_DATETIME)["value"] == "2026-12-04"
    spanish = await nlu.recognize_text("quiero abonar quinientos pesos a la tarjeta mañana", "es-MX")
    assert first_entity(spanish, ENTITY_AMOUNT) == {"value": "500.00", "unit": "Peso"}
    assert first_entity(spanish, ENTITY_DATETIME)["value"] == "2026-11-25"


@pytest.mark.parametrize(
    "text",
    [
        "who won the 1998 world cup",
        "quien gano el mundial de futbol",
        "asdf qwerty zxcv",
        "blorf snargle wibble",
        "what is the meaning of life",
        "el perro come croquetas",
    ],
)
async def test_off_topic_and_gibberish_never_run_a_dialog(nlu, text):
    intent, score = top_intent(await nlu.recognize_text(text))
    assert intent == "None" or score < ROUTING.confirm_threshold, (intent, score)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("what's my balance", "CheckBalance"),
        ("block my card", "BlockCard"),
        ("i want to talk to an agent", "TalkToAgent"),
        ("cual es mi saldo", "CheckBalance"),
        ("quiero reportar un fraude", "ReportFraud"),
        ("adios", "Goodbye"),
    ],
)
async def test_clear_requests_clear_the_run_threshold(nlu, text, intent):
    name, score = top_intent(await nlu.recognize_text(text))
    assert (name, score >= ROUTING.high_threshold) == (intent, True), score


@pytest.mark.parametrize("text", ["", "   ", "um", "eh este"])
async def test_silence_or_pure_hesitation_is_none(nlu, text):
    assert top_intent(await nlu.recognize_text(text, "es-MX")) == ("None", 1.0)


def test_training_time_is_measured(nlu):
    """Speed is asserted nowhere (see bench/nlu_latency.py); this records the figures."""
    report = nlu.train()  # already trained: returns the session's report
    started = time.perf_counter()
    nlu.intent_scores(["what's my balance"])
    print(
        f"train {report.seconds:.2f}s (embedding {report.embedding_seconds:.2f}s, "
        f"cache hit {report.cache_hit}; fit {report.fit_seconds:.2f}s) on {report.utterances} utterances; "
        f"one intent query {1000 * (time.perf_counter() - started):.0f} ms"
    )
    assert report.utterances >= 11 * 2 * 25
