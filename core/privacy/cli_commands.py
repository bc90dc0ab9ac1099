"""`python cli.py privacy erase --customer ID`: the right-to-erasure command."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
from pathlib import Path

from core.privacy.erasure import AuditAppend, ErasureFailed, erase_customer, jsonl_audit_appender


def _audit_appender(data_dir: Path) -> AuditAppend:
    # The shared audit trail (services.audit) when it is installed; else a JSON-lines file.
    try:
        audit = importlib.import_module("services.audit")
    except ModuleNotFoundError:
        return jsonl_audit_appender(data_dir / "audit" / "privacy.jsonl")
    factory = getattr(audit, "audit_appender", None)
    return (
        factory(data_dir) if callable(factory) else jsonl_audit_appender(data_dir / "audit" / "privacy.jsonl")
    )


def _erase(args: argparse.Namespace) -> int:
    from config import get_settings

    data_dir = Path(args.data_dir) if args.data_dir else get_settings().data_dir
    try:
        report = asyncio.run(
            erase_customer(args.customer, data_dir, _audit_appender(data_dir), actor=args.actor)
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ErasureFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"customer": report.customer_id, "deleted": report.files_deleted, "at": report.at}))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    privacy = subparsers.add_parser("privacy", help="personal-data tools")
    commands = privacy.add_subparsers(dest="privacy_command", required=True)
    erase = commands.add_parser(
        "erase", help="delete a customer's voice profile, transcripts and recordings (audited)"
    )
    erase.add_argument("--customer", required=True, help="customer id")
    erase.add_argument("--actor", default="cli", help="who asked for the erasure (kept in the audit trail)")
    erase.add_argument("--data-dir", default=None, help="override settings.data_dir")
    erase.set_defaults(func=_erase)
