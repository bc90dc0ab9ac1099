"""Paths and fixed values shared by the recognizer tests (a uniquely named module, importable from tests)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[2]
PROJECT_FILE = PROJECT / "cognitiveModels" / "banking.clu.json"
DEV_SET = PROJECT / "tests" / "data" / "nlu_dev.jsonl"
# Kept between runs (var/ is git-ignored): embedding the ~620 training utterances is the slow part
# (8-60 s depending on how busy the 2 cores are); the cache is per text, so edits re-embed only new lines.
TEST_DATA_DIR = PROJECT / "var" / "test-cache"
REFERENCE = datetime(2026, 11, 24, 10, 0)  # a Tuesday


def load_dev_set() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
