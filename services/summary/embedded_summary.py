"""Composes the handoff summary from the structured record with per-language phrase catalogues (no model)."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from locales.languages import code_of
from services.handoff.models import HandoffRecord

CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogue"
MAX_QUOTE_CHARS = 110
MAX_OPERATIONS = 3
MAX_DETAILS = 4
# Intents that say nothing about what the caller needs.
_NON_TOPICS = frozenset(
    {"none", "greeting", "goodbye", "thanks", "yes", "no", "confirm", "deny", "cancel", "help", "repeat",
     "agent", "human", "speak_to_agent", "talk_to_agent", "request_agent", "agent_request", "escalate"}
)  # fmt: skip
# Identification steps: the "(verified)" mark already says it.
_SILENT_OPERATIONS = frozenset({"get_customer", "verify_pin", "find_customer_by_phone"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@lru_cache(maxsize=4)
def load_phrases(language: str) -> dict[str, Any]:
    """The phrase catalogue for ``en`` or ``es``."""
    return json.loads((CATALOGUE_DIR / f"{language}.json").read_text(encoding="utf-8"))


def _join(items: list[str], conjunction: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _snake(name: str) -> str:
    """``BlockCard`` (CLU category) and ``block_card`` both become ``block_card``."""
    return _CAMEL.sub("_", name.strip()).replace("-", "_").replace(" ", "_").lower()


def _humanise(name: str) -> str:
    return _snake(name).replace("_", " ")


def _quote(text: str) -> str:
    text = " ".join(text.split()).strip(" .")
    if len(text) > MAX_QUOTE_CHARS:
        text = text[: MAX_QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return text


def _is_substantive(text: str) -> bool:
    """Skips key presses, "yes"/"no" and masked values: they tell the agent nothing."""
    words = [w for w in text.split() if not w.startswith("[")]
    return len(words) >= 3


def caller_quotes(record: HandoffRecord) -> list[str]:
    """The first and the last thing the caller said that carries meaning (at most two, distinct)."""
    said = [t.text for t in record.transcript if t.speaker == "caller" and _is_substantive(t.text)]
    if not said:
        said = [i.text for i in record.intents if _is_substantive(i.text)]
    if not said:
        return []
    first, last = _quote(said[0]), _quote(said[-1])
    return [first] if first == last else [first, last]


class EmbeddedSummarizer:
    """Two or three sentences: who called about what (quoting them), what the bot did, why it escalated."""

    async def summarize(self, record: HandoffRecord, language: str) -> str:
        return compose_summary(record, language)

    async def translate_transcript(self, record: HandoffRecord, language: str) -> list[str]:
        """None offline (EMBEDDED.md: no translation model ships in a registry package); the console words
        the bot's own lines from its catalogue instead (web/transcript_words.py)."""
        return []


def compose_summary(record: HandoffRecord, language: str) -> str:
    """The summary text; synchronous and deterministic so tests and fallbacks can call it directly."""
    lang = code_of(language)
    p = load_phrases(lang)
    sentences = [_who_and_what(record, p), _what_was_done(record, p), _why(record, p, lang)]
    return " ".join(s for s in sentences if s)


def _who_and_what(record: HandoffRecord, p: dict[str, Any]) -> str:
    caller = record.caller
    if caller.verified:
        who = p["verified_caller"].format(name=caller.name) if caller.name else p["verified_caller_no_name"]
    elif caller.phone_masked:
        who = p["unverified_caller_phone"].format(phone=caller.phone_masked.lstrip("•"))
    else:
        who = p["unverified_caller"]
    topics: list[str] = []
    for intent in record.intents:
        key = _snake(intent.intent)
        if key in _NON_TOPICS:
            continue
        phrase = p["intents"].get(key, _humanise(intent.intent))
        if phrase not in topics:
            topics.append(phrase)
    sentence = (
        p["called_about"].format(who=who, topics=_join(topics[:3], p["and"]))
        if topics
        else p["called_unknown"].format(who=who)
    )
    quotes = caller_quotes(record)
    if quotes:
        sentence += p["said"].format(quote=quotes[0])
    if len(quotes) > 1:
        sentence += p["said_later"].format(quote=quotes[1])
    return sentence + "."


def _what_was_done(record: HandoffRecord, p: dict[str, Any]) -> str:
    operations: list[str] = []
    for lookup in record.crm_lookups:
        if lookup.operation in _SILENT_OPERATIONS:
            continue
        ops = p["operations"]
        phrase = (
            ops.get(f"{lookup.operation}:{lookup.data_category}")
            or ops.get(lookup.operation)
            or p["looked_up"].format(category=_humanise(lookup.data_category))
        )
        if phrase not in operations:
            operations.append(phrase)
    details = [
        f"{p['entities'].get(key, _humanise(key))} {value}"
        for key, value in list(record.entities.items())[:MAX_DETAILS]
        if value
    ]
    if operations:
        sentence = p["already_did"].format(operations=_join(operations[:MAX_OPERATIONS], p["and"]))
        if details:
            sentence += "; " + p["details"].format(details=", ".join(details))
        return sentence + "."
    if details:
        return p["details_only"].format(details=", ".join(details)) + "."
    return ""


def _why(record: HandoffRecord, p: dict[str, Any], lang: str) -> str:
    call_lang = code_of(record.language)
    note = p["language_note"].format(language=p["language_names"][call_lang]) if call_lang != lang else ""
    template = p["reasons"].get(record.reason.value, p["reasons"]["caller_request"])
    return template.format(note=note, count=record.no_match_count or 3)
