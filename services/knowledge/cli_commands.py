"""`python cli.py kb ingest DIR` and `python cli.py kb ask "Q"` (JSON lines on stdin when Q is omitted)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from locales import languages


def register(subparsers: Any) -> None:
    kb = subparsers.add_parser("kb", help="knowledge base: ingest documents, ask questions")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)

    ingest_p = kb_sub.add_parser("ingest", help="read md/txt/html/pdf files into the index")
    ingest_p.add_argument("dir", type=Path, help="folder of source documents")
    ingest_p.add_argument("--index", type=Path, default=None, help="embedded index directory")
    ingest_p.add_argument("--quiet", action="store_true", help="no progress bar")
    ingest_p.set_defaults(func=_ingest)

    ask_p = kb_sub.add_parser("ask", help="answer a question (or JSON lines {q, lang} from stdin)")
    ask_p.add_argument("question", nargs="?", default=None)
    ask_p.add_argument("--index", type=Path, default=None, help="embedded index directory")
    ask_p.add_argument(
        "--lang", choices=languages.codes(), default=None, help="answer language (default: detect)"
    )
    ask_p.add_argument("--json", action="store_true", help="print one JSON object")
    ask_p.set_defaults(func=_ask)


def _ingest(args: argparse.Namespace) -> int:
    from config import get_settings
    from services.knowledge.embedded_index import EmbeddedIndex
    from services.knowledge.factory import create_embedder, create_index
    from services.knowledge.ingest import ingest

    settings = get_settings()
    embedder = create_embedder(settings)
    index = create_index(settings, embedder, args.index)

    async def run() -> str:
        if isinstance(index, EmbeddedIndex) and index.exists():
            index.load()
        try:
            report = await ingest(args.dir, index, embedder, progress=not args.quiet)
        finally:
            await index.close()
        return report.summary()

    try:
        print(asyncio.run(run()))
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _answer_json(answer: Any) -> str:
    return json.dumps(
        {
            "answer": answer.text,
            "sources": answer.sources,
            "grounded": answer.grounded,
            "blocked": answer.blocked,
        },
        ensure_ascii=False,
    )


def _ask(args: argparse.Namespace) -> int:
    from config import get_settings
    from services.knowledge.factory import create_knowledge

    knowledge = create_knowledge(get_settings(), index_path=args.index, refresh=False)

    async def one(question: str, lang: str | None) -> Any:
        return await knowledge.answer(question, [], languages.locale_of(lang) if lang else "")

    async def run() -> int:
        await knowledge.warm_up()
        if args.question is not None:
            answer = await one(args.question, args.lang)
            if args.json:
                print(_answer_json(answer))
            else:
                print(answer.text)
                if answer.sources:
                    print("sources: " + ", ".join(answer.sources))
            return 0
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                question, lang = str(item["q"]), item.get("lang") or args.lang
            except (json.JSONDecodeError, KeyError, TypeError):
                print(json.dumps({"error": "expected a JSON object with a 'q' field"}), flush=True)
                continue
            print(_answer_json(await one(question, lang)), flush=True)
        return 0

    return asyncio.run(run())
