"""Right to erasure: delete a customer's voice profile, transcripts and recordings, and audit it."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.privacy.speaker_id import SpeakerVerification, check_customer_id

log = logging.getLogger(__name__)

ERASED_KINDS = ("voiceprints", "transcripts", "recordings")
AuditAppend = Callable[[dict[str, Any]], Any]


class ErasureFailed(Exception):
    """Some of the customer's data could not be deleted (the audit entry says which)."""


@dataclass
class ErasureReport:
    customer_id: str
    actor: str
    files_deleted: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def ok(self) -> bool:
        return not self.errors


def _count_files(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file())


def _erase_sync(data_dir: Path, customer_id: str, report: ErasureReport) -> None:
    for kind in ERASED_KINDS:
        base = (data_dir / kind).resolve()
        folder = (base / customer_id).resolve()
        if folder.parent != base:  # belt and braces next to check_customer_id
            report.errors[kind] = "path escapes the data directory"
            continue
        if not folder.exists():
            report.files_deleted[kind] = 0
            continue
        try:
            count = _count_files(folder)
            shutil.rmtree(folder)
            report.files_deleted[kind] = count
        except OSError as exc:
            report.errors[kind] = type(exc).__name__


async def erase_customer(
    customer_id: str,
    data_dir: Path,
    audit_append: AuditAppend,
    actor: str = "cli",
    speaker: SpeakerVerification | None = None,
) -> ErasureReport:
    """Delete `<data_dir>/{voiceprints,transcripts,recordings}/<customer id>/` (and the speaker
    backend's profile, if given), then append one `privacy.erasure` entry via `audit_append(dict)`.
    Raises ErasureFailed (after auditing) when anything could not be deleted."""
    check_customer_id(customer_id)
    report = ErasureReport(customer_id=customer_id, actor=actor)
    if speaker is not None:
        try:
            await speaker.delete_profile(customer_id)
        except Exception as exc:
            report.errors["speaker_profile"] = type(exc).__name__
    await asyncio.to_thread(_erase_sync, Path(data_dir), customer_id, report)
    entry = {
        "action": "privacy.erasure",
        "outcome": "completed" if report.ok else "partial",
        **asdict(report),
    }
    result = audit_append(entry)
    if asyncio.iscoroutine(result):
        await result
    log.info("customer data erased", extra={"outcome": entry["outcome"], "files": report.files_deleted})
    if not report.ok:
        raise ErasureFailed(f"could not delete: {', '.join(sorted(report.errors))}")
    return report


def jsonl_audit_appender(path: Path) -> AuditAppend:
    """Fallback audit trail: one JSON object per line, appended (used until services.audit exists)."""

    def append(entry: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")

    return append
