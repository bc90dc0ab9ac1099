"""The console's words for a record follow the agent's language; every console word exists in both."""

from __future__ import annotations

import json
from pathlib import Path

from services.handoff.base import EscalationReason
from services.handoff.models import HandoffRecord, PostCall
from tests.e2e.test_agent_console_words import spanish_balance_call
from web.agent_words import agent_view

LOCALES = Path(__file__).resolve().parents[3] / "locales"


def record() -> HandoffRecord:
    return HandoffRecord.from_journal(
        "abc123abc123", spanish_balance_call(), EscalationReason.FRAUD, "+14255550199", lambda text: text
    )


def test_a_spanish_speaking_agent_reads_spanish_words() -> None:
    view = agent_view(record(), "es-MX")
    assert view["priority"] == "Alta"
    assert view["wanted"] == ["saldo de cuenta (savings)"]
    assert view["caller"] == "María García · C003 · Verificado con PIN · teléfono •••0188"
    assert view["language"] == "Español"
    assert view["told"] == ["Leyó el saldo de savings: 1,250.40 USD"]


def test_an_ended_call_says_how_it_ended_and_offers_no_pick_up() -> None:
    ended = record()
    ended.post_call = PostCall(outcome="abandoned", duration_seconds=67.4)
    view = agent_view(ended, "en-US")
    assert (view["state"], view["can_pick_up"]) == ("ended", False)
    assert view["status"] == "Ended: caller hung up, 1:07"


def test_every_console_word_is_in_both_languages() -> None:
    words = [
        json.loads((LOCALES / name).read_text(encoding="utf-8")) for name in ("en-US.json", "es-MX.json")
    ]
    keys = [{key for key in catalogue if key.startswith("console.")} for catalogue in words]
    assert keys[0] and keys[0] == keys[1]
