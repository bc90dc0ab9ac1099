"""The held-out routing sets stay held out: none of their utterances is trained on or tuned on.

A line that reaches the CLU project file (what both recognizers train on), the tuning set or the dev
set makes the held-out figures flatter; this caught 17 such lines added by later training rounds.
"""

import json
from pathlib import Path

import pytest

from recognizers.text import fold

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
HELD_OUT = sorted(DATA.glob("routing_heldout*.jsonl"))


def _jsonl_texts(path: Path) -> set[str]:
    return {fold(json.loads(line)["text"]) for line in path.read_text(encoding="utf-8").splitlines() if line}


def _trained_and_tuned() -> dict[str, set[str]]:
    project = json.loads((ROOT / "cognitiveModels" / "banking.clu.json").read_text(encoding="utf-8"))
    return {
        "CLU project": {fold(u["text"]) for u in project["assets"]["utterances"]},
        "routing_tuning.jsonl": _jsonl_texts(DATA / "routing_tuning.jsonl"),
        "nlu_dev.jsonl": _jsonl_texts(DATA / "nlu_dev.jsonl"),
    }


def test_there_are_held_out_sets_to_protect():
    assert len(HELD_OUT) >= 3


@pytest.mark.parametrize("held_out", HELD_OUT, ids=lambda p: p.name)
def test_no_held_out_utterance_is_trained_or_tuned_on(held_out: Path):
    held = _jsonl_texts(held_out)
    shared = {name: len(held & texts) for name, texts in _trained_and_tuned().items() if held & texts}
    assert not shared, f"{held_out.name} lines (folded) also in: {shared}"  # counts only: never print them
