"""The held-out routing sets stay held out: none of their utterances is trained on, tuned on or repeated
across sets, and every line is one the benchmark can score.

A line that reaches the CLU project file (what both recognizers train on), the tuning set or the dev
set makes the held-out figures flatter; this caught 17 such lines added by later training rounds.
"""

import json
from pathlib import Path

import pytest

from dialogs.registry import ROUTES
from locales.languages import codes
from recognizers.base import NONE_INTENT
from recognizers.text import fold

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
HELD_OUT = sorted(DATA.glob("routing_heldout*.jsonl"))


def _jsonl_texts(path: Path) -> set[str]:
    return {fold(json.loads(line)["text"]) for line in path.read_text(encoding="utf-8").splitlines() if line}


def _project_texts() -> set[str]:
    project = json.loads((ROOT / "cognitiveModels" / "banking.clu.json").read_text(encoding="utf-8"))
    return {fold(u["text"]) for u in project["assets"]["utterances"]}


def _trained_and_tuned() -> dict[str, set[str]]:
    return {
        "CLU project": _project_texts(),
        "routing_tuning.jsonl": _jsonl_texts(DATA / "routing_tuning.jsonl"),
        "routing_tuning2.jsonl": _jsonl_texts(DATA / "routing_tuning2.jsonl"),
        "nlu_dev.jsonl": _jsonl_texts(DATA / "nlu_dev.jsonl"),
    }


def test_there_are_held_out_sets_to_protect():
    names = {path.name for path in HELD_OUT}
    assert {f"routing_heldout{n}.jsonl" for n in ("", "2", "3", "4")} <= names, sorted(names)


@pytest.mark.parametrize("held_out", HELD_OUT, ids=lambda p: p.name)
def test_no_held_out_utterance_is_trained_or_tuned_on(held_out: Path):
    held = _jsonl_texts(held_out)
    shared = {name: len(held & texts) for name, texts in _trained_and_tuned().items() if held & texts}
    assert not shared, f"{held_out.name} lines (folded) also in: {shared}"  # counts only: never print them


@pytest.mark.parametrize("held_out", HELD_OUT, ids=lambda p: p.name)
def test_no_held_out_utterance_repeats_one_of_another_held_out_set(held_out: Path):
    # A line in two sets is measured twice; a later set repeating an earlier one is not fresh.
    held = _jsonl_texts(held_out)
    shared = {
        o.name: len(held & _jsonl_texts(o)) for o in HELD_OUT if o != held_out and held & _jsonl_texts(o)
    }
    assert not shared, f"{held_out.name} lines (folded) also in: {shared}"  # counts only


@pytest.mark.parametrize("held_out", HELD_OUT, ids=lambda p: p.name)
def test_every_held_out_line_is_scored_by_the_benchmark(held_out: Path):
    # bench.routing scores "intent" against the recognizers: a name no dialog serves would count as a miss
    # of every recognizer, and a business kind with intent None (or the reverse) would swap the figures.
    rows = [json.loads(line) for line in held_out.read_text(encoding="utf-8").splitlines() if line]
    routed = {route.intent for route in ROUTES}
    wrong = [
        n
        for n, row in enumerate(rows, 1)
        if set(row) != {"text", "lang", "intent", "kind"}
        or row["lang"] not in codes()
        or (row["kind"] == "business") != (row["intent"] in routed)
        or (row["kind"] != "business") != (row["intent"] == NONE_INTENT)
        or row["kind"] not in ("business", "question", "offdomain", "chitchat")
    ]
    assert not wrong, f"{held_out.name}: malformed lines {wrong[:10]}"  # line numbers only


@pytest.mark.parametrize("tuning", ["routing_tuning.jsonl", "routing_tuning2.jsonl"])
def test_no_tuning_utterance_is_trained_on(tuning: str):
    # Thresholds are chosen on the tuning sets: a tuning line in the project file would flatter them.
    assert not _jsonl_texts(DATA / tuning) & _project_texts(), tuning
