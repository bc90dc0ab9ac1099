"""CLI sub-commands `nlu` (recognize text or JSON lines), `eval` (score a labelled JSONL) and `nlu-train`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from botbuilder.core import RecognizerResult

from locales import languages
from recognizers.base import (
    ENTITY_ACCOUNT_TYPE,
    ENTITY_CARD_TYPE,
    LANGUAGE_PROPERTY,
    CallerRecognizer,
    RecognizerUnavailable,
    first_entity,
    top_intent,
)


def _hint(lang: str | None) -> str | None:
    """A language code (``es``) -> its locale as the recognizer's hint; anything else as given."""
    found = languages.find(lang)
    return found.locale if found else lang or None


def _recognizer() -> CallerRecognizer:
    from config import get_settings
    from dialogs.registry import registered_intents
    from recognizers.factory import create_recognizer

    return create_recognizer(get_settings(), registered_intents())


def _line(result: RecognizerResult) -> dict[str, Any]:
    intent, score = top_intent(result)
    return {
        "intent": intent,
        "score": round(score, 4),
        "entities": {
            ENTITY_ACCOUNT_TYPE: first_entity(result, ENTITY_ACCOUNT_TYPE),
            ENTITY_CARD_TYPE: first_entity(result, ENTITY_CARD_TYPE),
        },
        "lang": (result.properties or {}).get(LANGUAGE_PROPERTY),
    }


def _full(result: RecognizerResult) -> dict[str, Any]:
    intent, score = top_intent(result)
    return {
        "text": result.text,
        "altered_text": result.altered_text,
        "intent": intent,
        "score": round(score, 4),
        "intents": {name: round(float(s.score or 0.0), 4) for name, s in (result.intents or {}).items()},
        "entities": result.entities,
        "lang": (result.properties or {}).get(LANGUAGE_PROPERTY),
    }


async def _run_nlu(args: argparse.Namespace) -> int:
    recognizer = _recognizer()
    await recognizer.warm_up()
    if args.text is not None:
        result = await recognizer.recognize_text(args.text, _hint(args.lang))
        print(json.dumps(_full(result), ensure_ascii=False, indent=2))
        return 0
    for raw in sys.stdin:
        if not raw.strip():
            continue
        item = json.loads(raw)
        lang = item.get("lang") or args.lang or ""
        result = await recognizer.recognize_text(str(item.get("text", "")), _hint(lang))
        print(json.dumps(_line(result), ensure_ascii=False), flush=True)
    return 0


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.rjust(widths[i]) for i, cell in enumerate(row)) for row in rows)


def report(gold: list[str], predicted: list[str], languages: list[str]) -> str:
    """Accuracy (overall and per language), per-intent precision/recall and a confusion table."""
    from dialogs.registry import registered_intents  # the CLI is wiring: dialogs hold the catalogue

    total = len(gold)
    correct = sum(g == p for g, p in zip(gold, predicted, strict=True))
    lines = [f"accuracy {correct / total:.3f} ({correct}/{total})"]
    per_lang: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for g, p, lang in zip(gold, predicted, languages, strict=True):
        per_lang[lang][0] += g == p
        per_lang[lang][1] += 1
    lines += [f"accuracy[{lang}] {ok / n:.3f} ({ok}/{n})" for lang, (ok, n) in sorted(per_lang.items())]
    labels = [i for i in registered_intents() if i in set(gold) | set(predicted)]
    pairs = Counter(zip(gold, predicted, strict=True))
    rows = [["intent", "precision", "recall", "support"]]
    for label in labels:
        tp = pairs[(label, label)]
        predicted_n = sum(n for (_, p), n in pairs.items() if p == label)
        support = sum(n for (g, _), n in pairs.items() if g == label)
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / support if support else 0.0
        rows.append([label, f"{precision:.2f}", f"{recall:.2f}", str(support)])
    lines += ["", _table(rows), "", "confusion (rows = gold, columns = predicted)"]
    short = [label[:6] for label in labels]
    confusion = [["gold\\pred", *short]]
    confusion += [[g, *(str(pairs[(g, p)]) if pairs[(g, p)] else "." for p in labels)] for g in labels]
    lines.append(_table(confusion))
    return "\n".join(lines)


async def _run_eval(args: argparse.Namespace) -> int:
    items = [
        json.loads(line) for line in Path(args.file).read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    recognizer = _recognizer()
    await recognizer.warm_up()
    predicted = []
    for item in items:
        result = await recognizer.recognize_text(item["text"], _hint(item.get("lang")))
        predicted.append(top_intent(result)[0])
    print(report([i["intent"] for i in items], predicted, [i.get("lang", "?") for i in items]))
    return 0


async def _run_train(args: argparse.Namespace) -> int:
    from config import get_settings
    from dialogs.registry import registered_intents
    from recognizers.embedded_recognizer import EmbeddedRecognizer

    settings = get_settings()
    recognizer = EmbeddedRecognizer(settings.clu_project_file, settings.nlu_cache_dir, registered_intents())
    report = await asyncio.to_thread(recognizer.train)
    print(
        json.dumps(
            {
                "utterances": report.utterances,
                "seconds": round(report.seconds, 3),
                "embedding_seconds": round(report.embedding_seconds, 3),
                "fit_seconds": round(report.fit_seconds, 3),
                "cache_hit": report.cache_hit,
                "cache_dir": str(settings.nlu_cache_dir),
            }
        )
    )
    return 0


def _sync(handler: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return int(asyncio.run(handler(args)))
        except RecognizerUnavailable as exc:
            print(f"recognizer unavailable: {exc}", file=sys.stderr)
            return 2

    return run


def register(subparsers: Any) -> None:
    """Add `nlu` and `eval` to the CLI."""
    nlu = subparsers.add_parser("nlu", help="recognize TEXT, or JSON lines {text, lang} from stdin")
    nlu.add_argument("text", nargs="?", help="utterance; omit to read JSON lines from stdin")
    nlu.add_argument("--lang", choices=languages.codes(), help="language hint")
    nlu.set_defaults(func=_sync(_run_nlu))
    evaluate = subparsers.add_parser("eval", help="accuracy and confusion table for a labelled JSONL file")
    evaluate.add_argument("file", help='JSON lines {"text", "lang", "intent", "entities"}')
    evaluate.set_defaults(func=_sync(_run_eval))
    train = subparsers.add_parser(
        "nlu-train", help="train the embedded recognizer once to fill the embedding cache (image build step)"
    )
    train.set_defaults(func=_sync(_run_train))
