"""What the agent console shows, in the agent's words: one view of a handoff record, words from locales/."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from locales.catalogue import Catalogue, MissingPrompt
from locales.languages import code_of
from services.handoff.base import Disposition, HandoffStatus
from services.handoff.models import HandoffRecord
from web.transcript_words import transcript_view

NON_TOPICS = frozenset({"None", "TalkToAgent", "Cancel", "Help", "Repeat", "Goodbye"})
"""Intents that say nothing about what the caller wants (the reason already says "asked for an agent")."""
IDENTIFICATION = frozenset({"get_customer", "find_customer_by_phone", "verify_pin"})
"""CRM operations the "Verified by PIN" line already covers."""
INTENT_DETAIL = {"CheckBalance": "account_type", "BlockCard": "card_type"}
"""The detail a dialog asks for, shown next to what the caller wanted: "account balance (savings)"."""


@lru_cache(maxsize=1)
def _catalogue() -> Catalogue:
    return Catalogue.load()


def _word(language: str, key: str, **values: Any) -> str | None:
    try:
        return _catalogue().text(language, key, **values)
    except MissingPrompt:
        return None


def _humanise(name: str) -> str:
    return name.replace("_", " ").strip().capitalize()


def state_of(record: HandoffRecord) -> str:
    """One state per call, so a card cannot contradict itself: ``waiting`` means the caller is holding."""
    if record.status is HandoffStatus.CALLBACK_REQUESTED:
        return "callback"
    if record.ended:
        return "ended"
    if record.status is HandoffStatus.QUEUED:
        return "waiting"
    return record.status.value


def _intent_words(intent: str, language: str) -> str:
    return (
        _word(language, f"console.wanted.{intent}")
        or _word(language, f"action.{intent}")
        or _humanise(intent)
    )


def _understood(record: HandoffRecord, language: str) -> dict[str, str]:
    """Each utterance the bot recognised -> what it understood, in the agent's words."""
    return {i.text: _intent_words(i.intent, language) for i in record.intents if i.intent not in NON_TOPICS}


def _wanted(record: HandoffRecord, language: str) -> list[str]:
    wanted: list[str] = []
    for intent in record.intents:
        if intent.intent in NON_TOPICS:
            continue
        words = _intent_words(intent.intent, language)
        detail = record.entities.get(INTENT_DETAIL.get(intent.intent, ""))
        phrase = f"{words} ({detail})" if detail else words
        if phrase not in wanted:
            wanted.append(phrase)
    return wanted


def _verification(record: HandoffRecord, language: str) -> str:
    if not record.caller.verified:
        return _word(language, "console.not_verified") or ""
    by_pin = any(lookup.operation == "verify_pin" for lookup in record.crm_lookups)
    return _word(language, "console.verified_by_pin" if by_pin else "console.verified") or ""


def _caller(record: HandoffRecord, language: str) -> str:
    caller = record.caller
    parts = [caller.name or "", caller.customer_id or "", _verification(record, language)]
    if caller.phone_masked:
        parts.append(_word(language, "console.phone", digits=caller.phone_masked) or caller.phone_masked)
    return " · ".join(part for part in parts if part)


def _done(record: HandoffRecord, language: str) -> list[str]:
    done: list[str] = []
    for lookup in record.crm_lookups:
        if lookup.operation in IDENTIFICATION:
            continue
        phrase = _word(language, f"console.done.{lookup.operation}") or _humanise(lookup.operation)
        if phrase not in done:
            done.append(phrase)
    return done


def _details(record: HandoffRecord, language: str) -> list[str]:
    shown = {INTENT_DETAIL.get(intent.intent) for intent in record.intents}  # already in "wanted"
    return [
        f"{_word(language, f'console.detail.{key}') or _humanise(key)}: {value}"
        for key, value in record.entities.items()
        if value and key not in shown
    ]


def _duration(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _status(record: HandoffRecord, state: str, language: str) -> str:
    if state == "ended" and record.post_call is not None:
        outcome = _word(language, f"console.outcome.{record.post_call.outcome.value}") or ""
        duration = _duration(record.post_call.duration_seconds)
        text = _word(language, "console.status.ended", outcome=outcome, duration=duration) or state
        code = record.post_call.disposition
        return (
            f"{text} · {_word(language, f'console.disposition.{code.value}') or code.value}" if code else text
        )
    agent = record.picked_up_by or ""
    return _word(language, f"console.status.{state}", agent=agent) or _humanise(state)


def reason_words(reason: str, language: str) -> str:
    """ "Fraud report" for ``fraud`` (the console cards and the dashboard's handoffs by reason)."""
    return _word(language, f"console.reason.{reason}") or _humanise(reason)


def language_words(locale: str, language: str) -> str:
    """ "Spanish" for ``es-MX``."""
    return _word(language, f"console.language.{code_of(locale)}") or locale


def _alert(record: HandoffRecord, language: str) -> str:
    """The desktop-notification text of a new high-priority call (no name, no number: it stays on screen)."""
    if record.priority.value != "high":
        return ""
    reason = reason_words(record.reason.value, language)
    return _word(language, "console.alert", reason=reason) or reason


def _wrap_up_due(record: HandoffRecord) -> bool:
    """The call ended after an agent took it, and that agent has not given a disposition yet."""
    post = record.post_call
    return post is not None and post.disposition is None and record.picked_up_by is not None


def agent_view(record: HandoffRecord, language: str) -> dict[str, Any]:
    """The words on the record's card; lists and texts left empty are not shown."""
    state = state_of(record)
    return {
        "state": state,
        "status": _status(record, state, language),
        "priority": _word(language, f"console.priority.{record.priority.value}") or "",
        "reason": reason_words(record.reason.value, language),
        "language": _word(language, f"console.language.{code_of(record.language)}") or "",
        "caller": _caller(record, language),
        "wanted": _wanted(record, language),
        "done": _done(record, language),
        "details": _details(record, language),
        "told": [
            _word(language, f"console.told.{fact.kind}", **fact.values) or _humanise(fact.kind)
            for fact in record.told
            if fact.kind != "open_ticket"
        ],
        "ticket": next(
            (
                _word(language, "console.told.open_ticket", **fact.values) or fact.values.get("subject", "")
                for fact in record.told
                if fact.kind == "open_ticket"
            ),
            "",
        ),
        "transcript": transcript_view(record, language, _understood(record, language)),
        "can_pick_up": state in ("waiting", "callback", "transfer_failed"),
        "alert": _alert(record, language),
        "wrap_up_due": _wrap_up_due(record),
        "dispositions": [
            {"code": d.value, "label": _word(language, f"console.disposition.{d.value}") or d.value}
            for d in Disposition
        ],
    }
