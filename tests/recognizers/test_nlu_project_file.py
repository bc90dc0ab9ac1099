"""The CLU project file: shape, coverage per intent and language, and labelled entity offsets."""

from __future__ import annotations

import json
import re

import pytest
from nlu_testdata import DEV_SET, PROJECT_FILE
from recognizers_date_time import recognize_datetime
from recognizers_number_with_unit import recognize_currency

from dialogs.registry import registered_intents
from recognizers.clu_project import CluProjectError, load_project, parse_project, utf16_slice
from recognizers.text import strip_accents, tokens

RAW = json.loads(PROJECT_FILE.read_text(encoding="utf-8"))
ENTITIES = {e["category"]: e for e in RAW["assets"]["entities"]}
CULTURE = {"en-us": "en-us", "es": "es-es"}


def _words(text: str) -> tuple[str, ...]:
    return tuple(strip_accents(w) for w in tokens(text))


def test_project_file_has_the_language_studio_import_shape():
    assert RAW["stringIndexType"] == "Utf16CodeUnit"
    assert RAW["projectFileVersion"]
    meta = RAW["metadata"]
    assert (meta["projectKind"], meta["projectName"], meta["language"], meta["multilingual"]) == (
        "Conversation",
        "contoso-banking",
        "en-us",
        True,
    )
    assert 0 < meta["settings"]["confidenceThreshold"] < 1
    assert RAW["assets"]["projectKind"] == "Conversation"
    assert [i["category"] for i in RAW["assets"]["intents"]] == list(registered_intents())
    for utterance in RAW["assets"]["utterances"]:
        assert set(utterance) >= {"text", "intent", "language", "dataset", "entities"}
        assert utterance["language"] in ("en-us", "es")
        assert utterance["dataset"] == "Train"


@pytest.mark.parametrize("language", ["en-us", "es"])
@pytest.mark.parametrize("intent", registered_intents())
def test_every_intent_has_at_least_25_utterances_per_language(intent, language):
    count = sum(1 for u in RAW["assets"]["utterances"] if u["intent"] == intent and u["language"] == language)
    assert count >= 25


def test_list_entities_carry_canonical_keys_and_spanish_synonyms():
    def sublists(category):
        return {s["listKey"]: s for s in ENTITIES[category]["list"]["sublists"]}

    accounts = sublists("account_type")
    cards = sublists("card_type")
    assert set(accounts) == {"savings", "checking", "credit_card"}
    assert set(cards) == {"credit", "debit"}

    def spanish(sublist):
        return {v for syn in sublist["synonyms"] if syn["language"] == "es" for v in syn["values"]}

    assert {"ahorros", "cuenta de ahorros"} <= spanish(accounts["savings"])
    assert "cuenta de cheques" in spanish(accounts["checking"])
    assert "tarjeta de crédito" in spanish(accounts["credit_card"])
    assert {"débito", "tarjeta de débito"} <= spanish(cards["debit"])
    assert {p["category"] for e in ENTITIES.values() for p in e.get("prebuilts", [])} >= {
        "Quantity.Number",
        "Datetime",
        "Quantity.Currency",
    }


def test_every_labelled_span_covers_the_entity_it_names():
    """Offsets are UTF-16 code units; each span must be what its entity's components would find."""
    problems = []
    for utterance in RAW["assets"]["utterances"]:
        text = utterance["text"]
        for label in utterance["entities"]:
            span = utf16_slice(text, label["offset"], label["length"])
            entity = ENTITIES[label["category"]]
            ok = span == span.strip() and bool(span)
            if "list" in entity:
                synonyms = {
                    _words(v)
                    for s in entity["list"]["sublists"]
                    for syn in s["synonyms"]
                    for v in syn["values"]
                }
                ok = ok and _words(span) in synonyms
            elif "regex" in entity:
                patterns = [
                    e["regexPattern"]
                    for e in entity["regex"]["expressions"]
                    if e["language"] == utterance["language"]
                ]
                ok = ok and any(re.fullmatch(p, span) for p in patterns)
            elif label["category"] == "amount":
                ok = ok and span in [r.text for r in recognize_currency(text, CULTURE[utterance["language"]])]
            elif label["category"] == "date":
                found = [r.text for r in recognize_datetime(text, CULTURE[utterance["language"]])]
                ok = ok and any(span in f or f in span for f in found)
            if not ok:
                problems.append((text, label["category"], span))
    assert problems == []


def test_offsets_count_utf16_code_units_not_bytes():
    # "crédito" has one non-ASCII letter: a byte offset would be off by one after it.
    text = "quiero bloquear mi tarjeta de crédito y la de débito"
    assert utf16_slice(text, 46, 6) == "débito"
    assert utf16_slice("💳 débito", 3, 6) == "débito"  # the emoji is a surrogate pair: two units


def test_loader_rejects_a_project_missing_a_registered_intent():
    broken = json.loads(json.dumps(RAW))
    broken["assets"]["intents"] = [i for i in broken["assets"]["intents"] if i["category"] != "Repeat"]
    broken["assets"]["utterances"] = [u for u in broken["assets"]["utterances"] if u["intent"] != "Repeat"]
    with pytest.raises(CluProjectError, match=r"missing from the project \['Repeat'\]"):
        parse_project(broken, intents=registered_intents())


def test_loader_rejects_an_intent_no_dialog_is_registered_for():
    extra = json.loads(json.dumps(RAW))
    extra["assets"]["intents"].append({"category": "OpenAccount"})
    with pytest.raises(CluProjectError, match=r"not registered \['OpenAccount'\]"):
        parse_project(extra, intents=registered_intents())


def test_loader_rejects_a_span_past_the_end():
    broken = json.loads(json.dumps(RAW))
    broken["assets"]["utterances"][0]["entities"] = [{"category": "account_type", "offset": 3, "length": 500}]
    with pytest.raises(CluProjectError, match="past the end"):
        parse_project(broken)


def test_dev_set_is_separate_from_the_training_utterances():
    project = load_project(PROJECT_FILE)
    training = {u.text.casefold() for u in project.utterances}
    dev = [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert not [d["text"] for d in dev if d["text"].casefold() in training]
    for lang in ("en", "es"):
        for intent in registered_intents():
            assert sum(1 for d in dev if d["lang"] == lang and d["intent"] == intent) >= 8, (lang, intent)
