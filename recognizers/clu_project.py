"""Load and validate the CLU project file (Language Studio import format) the recognizers share."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from locales import languages
from recognizers.base import NONE_INTENT


def bot_language(tag: str) -> str | None:
    """An utterance's language tag in the project file (CLU's code, or the bot's) -> the bot's code."""
    tag = tag.lower()
    return next((lang.code for lang in languages.LANGUAGES if tag in (lang.clu_language, lang.code)), None)


class CluProjectError(ValueError):
    """The project file is malformed or inconsistent with the bot's intents."""


@dataclass(frozen=True)
class Utterance:
    text: str
    intent: str
    language: str  # a code of locales/languages.py
    dataset: str
    entities: tuple[tuple[str, int, int], ...] = ()  # (category, offset, length) in UTF-16 code units


@dataclass(frozen=True)
class CluProject:
    name: str
    intents: tuple[str, ...]
    utterances: tuple[Utterance, ...]
    # category -> canonical list key -> synonyms (all languages)
    list_entities: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    confidence_threshold: float = 0.0
    sha256: str = ""

    def training_utterances(self) -> list[Utterance]:
        """Utterances in the Train dataset (Test ones are held out, as Language Studio does)."""
        return [u for u in self.utterances if u.dataset.lower() != "test"]


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The substring at a UTF-16 code-unit offset/length (the project's stringIndexType)."""
    encoded = text.encode("utf-16-le")
    return encoded[offset * 2 : (offset + length) * 2].decode("utf-16-le")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise CluProjectError(message)


def _check_intents(declared: tuple[str, ...], registered: Collection[str] | None) -> None:
    """The project's intents are exactly the registered ones (plus None): a model never predicts an
    intent no dialog serves, and every registered intent has utterances to learn from."""
    _require(NONE_INTENT in declared, f"the project has no {NONE_INTENT!r} intent")
    if registered is None:
        return
    expected = {*registered, NONE_INTENT}
    unregistered, missing = sorted(set(declared) - expected), sorted(expected - set(declared))
    _require(
        not unregistered and not missing,
        f"intents differ from dialogs/registry.py: not registered {unregistered}, "
        f"missing from the project {missing}",
    )


def parse_project(raw: dict, sha256: str = "", intents: Collection[str] | None = None) -> CluProject:
    """Validate the decoded JSON and return the parts the recognizers need.

    ``intents``: the registered intents (dialogs/registry.py ``registered_intents()``) the project must
    declare, no more, no fewer; None checks only that the project is well formed.
    """
    _require(raw.get("stringIndexType") == "Utf16CodeUnit", "stringIndexType must be Utf16CodeUnit")
    metadata = raw.get("metadata") or {}
    assets = raw.get("assets") or {}
    _require(metadata.get("projectKind") == "Conversation", "metadata.projectKind must be Conversation")
    _require(assets.get("projectKind") == "Conversation", "assets.projectKind must be Conversation")
    declared = tuple(i["category"] for i in assets.get("intents", []))
    _check_intents(declared, intents)
    categories = {e["category"] for e in assets.get("entities", [])}

    list_entities: dict[str, dict[str, tuple[str, ...]]] = {}
    for entity in assets.get("entities", []):
        sublists = (entity.get("list") or {}).get("sublists") or []
        if sublists:
            list_entities[entity["category"]] = {
                sub["listKey"]: tuple(v for syn in sub.get("synonyms", []) for v in syn.get("values", []))
                for sub in sublists
            }

    utterances: list[Utterance] = []
    for index, item in enumerate(assets.get("utterances", [])):
        text = item.get("text", "")
        where = f"utterance {index} ({text!r})"
        _require(bool(text.strip()), f"{where}: empty text")
        _require(item.get("intent") in declared, f"{where}: unknown intent {item.get('intent')!r}")
        language = str(item.get("language", metadata.get("language", ""))).lower()
        code = bot_language(language)
        _require(code is not None, f"{where}: unsupported language {language!r} (locales/languages.py)")
        spans = []
        for ent in item.get("entities", []):
            _require(ent.get("category") in categories, f"{where}: unknown entity {ent.get('category')!r}")
            offset, length = int(ent["offset"]), int(ent["length"])
            _require(offset >= 0 and length > 0, f"{where}: bad span {offset}+{length}")
            _require(offset + length <= len(text.encode("utf-16-le")) // 2, f"{where}: span past the end")
            spans.append((ent["category"], offset, length))
        utterances.append(
            Utterance(
                text=text,
                intent=item["intent"],
                language=str(code),
                dataset=str(item.get("dataset", "Train")),
                entities=tuple(spans),
            )
        )
    _require(bool(utterances), "the project has no utterances")
    return CluProject(
        name=str(metadata.get("projectName", "")),
        intents=declared,
        utterances=tuple(utterances),
        list_entities=list_entities,
        confidence_threshold=float((metadata.get("settings") or {}).get("confidenceThreshold", 0.0)),
        sha256=sha256,
    )


def load_project(path: Path, intents: Collection[str] | None = None) -> CluProject:
    """Read, hash and validate a CLU project file (against the registered ``intents`` when given)."""
    data = Path(path).read_bytes()
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CluProjectError(f"{path}: not valid JSON ({exc})") from exc
    return parse_project(raw, sha256=hashlib.sha256(data).hexdigest(), intents=intents)
