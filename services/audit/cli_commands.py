"""`python cli.py audit --customer ID`: list who accessed a customer's data, when and why."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from services.audit.embedded_sqlite import EmbeddedAuditTrail
from services.audit.factory import audit_db_path


async def _list(db: Path, customer: str, limit: int | None, as_json: bool, verify: bool) -> int:
    trail = EmbeddedAuditTrail(db)
    try:
        entries = await trail.query(customer, limit)
        if as_json:
            for entry in entries:
                print(json.dumps(entry.to_dict(), ensure_ascii=False))
        else:
            row = "{:<20} {:<12} {:<24} {:<15} {:<9} {:<20} {}"
            print(row.format("when (UTC)", "actor", "conversation", "data", "operation", "why", "outcome"))
            for e in entries:
                when = e.at.strftime("%Y-%m-%d %H:%M:%S")
                print(row.format(when, e.actor[:12], e.conversation_id[:24], e.category.value,
                                 e.operation.value, e.intent[:20], e.outcome))  # fmt: skip
            print(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'} for customer {customer}")
        if verify:
            ok, broken = await trail.verify()
            print("hash chain intact" if ok else f"hash chain BROKEN at entry {broken}")
            return 0 if ok else 3
        return 0
    finally:
        await trail.close()


def _run(args: argparse.Namespace) -> int:
    if args.data_dir:
        data_dir = Path(args.data_dir)
    else:
        from config import get_settings

        data_dir = get_settings().data_dir
    db = audit_db_path(data_dir)
    if not db.exists():
        print(f"no audit trail yet at {db}")
        return 0
    return asyncio.run(_list(db, args.customer, args.limit, args.json, args.verify))


def register(subparsers: argparse._SubParsersAction) -> None:
    audit = subparsers.add_parser("audit", help="list the audit trail of a customer's data")
    audit.add_argument("--customer", required=True, help="customer id, e.g. C1001")
    audit.add_argument("--limit", type=int, default=None, help="only the most recent N entries")
    audit.add_argument("--json", action="store_true", help="one JSON object per line")
    audit.add_argument("--verify", action="store_true", help="also check the whole trail's hash chain")
    audit.add_argument("--data-dir", default=None, help="override settings.data_dir")
    audit.set_defaults(func=_run)
