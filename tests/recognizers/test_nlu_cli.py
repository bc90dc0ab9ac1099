"""`cli.py nlu` and `cli.py eval` as a user runs them (subprocesses sharing the test embedding cache)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from nlu_testdata import PROJECT, TEST_DATA_DIR, load_dev_set


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATA_DIR": str(TEST_DATA_DIR), "RECOGNIZER": "embedded"}
    return subprocess.run(
        [sys.executable, "cli.py", *args],
        cwd=PROJECT,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def warm_cache(nlu):
    """The session recognizer has filled the embedding cache the subprocesses read."""
    return nlu


def test_nlu_reads_json_lines_and_writes_one_json_line_each(warm_cache):
    lines = [
        {"text": "um what's the balance in my savings", "lang": "en"},
        {"text": "bloquea la de débito por favor", "lang": "es"},
        {"text": "quiero hablar con un asesor", "lang": "es"},
    ]
    done = run_cli("nlu", stdin="\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(o["intent"], o["lang"]) for o in out] == [
        ("CheckBalance", "en"),
        ("BlockCard", "es"),
        ("TalkToAgent", "es"),
    ]
    assert out[0]["entities"] == {"account_type": "savings", "card_type": None}
    assert out[1]["entities"] == {"account_type": None, "card_type": "debit"}
    assert all(0.0 <= o["score"] <= 1.0 for o in out)


def test_nlu_with_text_prints_the_whole_result(warm_cache):
    done = run_cli("nlu", "i want to pay 50 dollars on my credit card", "--lang", "en")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["intent"] == "CardPaymentInfo"
    assert result["entities"]["amount"] == [{"value": "50.00", "unit": "Dollar"}]
    assert len(result["intents"]) == 11


def test_eval_prints_accuracy_per_intent_scores_and_confusion(warm_cache, tmp_path):
    sample = [d for d in load_dev_set() if d["intent"] in ("BlockCard", "None")]
    path = tmp_path / "sample.jsonl"
    path.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in sample), encoding="utf-8")
    done = run_cli("eval", str(path))
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("accuracy ")
    assert float(first.split()[1]) >= 0.9
    assert "accuracy[en]" in done.stdout and "accuracy[es]" in done.stdout
    assert "precision" in done.stdout and "recall" in done.stdout
    assert "confusion (rows = gold, columns = predicted)" in done.stdout


def test_nlu_train_reuses_the_embedding_cache(warm_cache, monkeypatch, capsys):
    """`cli.py nlu-train` (the image build step) finds every embedding cached after a first training."""
    import cli
    from config import get_settings

    monkeypatch.setenv("DATA_DIR", str(TEST_DATA_DIR))
    get_settings.cache_clear()
    try:
        assert cli.main(["nlu-train"]) == 0
    finally:
        get_settings.cache_clear()
    report = json.loads(capsys.readouterr().out)
    assert report["cache_hit"] is True
    assert report["utterances"] >= 550
