"""Voice enrolment needs recorded consent; verification tells voices apart; erasure deletes and audits."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import subprocess
import sys
import wave
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import soxr

from core.privacy.erasure import erase_customer
from core.privacy.speaker_id import (
    ConsentRecord,
    ConsentRequired,
    EmbeddedSpeakerVerification,
    InsufficientAudio,
    ProfileNotFound,
)
from services.audit.base import Operation
from services.audit.embedded_sqlite import EmbeddedAuditTrail
from services.audit.factory import audit_db_path

PROJECT_ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs Debian's espeak-ng")

SENTENCES = (
    "I would like to check the balance of my checking account please",
    "my voice is my password, please verify me",
    "please block my credit card because I lost it yesterday",
)


@lru_cache(maxsize=32)
def speech(text: str, voice: str) -> bytes:
    """16 kHz 16-bit mono PCM spoken by espeak-ng."""
    wav = subprocess.run(["espeak-ng", "-v", voice, "--stdout", text], capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(wav)) as w:
        rate, samples = w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    resampled = soxr.resample(samples.astype(np.float32) / 32768.0, rate, 16_000)
    return (np.clip(resampled, -1, 1) * 32767).astype("<i2").tobytes()


def consent(customer_id: str, granted: bool = True) -> ConsentRecord:
    return ConsentRecord(
        customer_id, "call-1", granted, "voiceprint.consent_question", "yes", "recordings/c/1.wav"
    )


async def test_enrolment_without_consent_is_refused(tmp_path: Path) -> None:
    verifier = EmbeddedSpeakerVerification(tmp_path)
    with pytest.raises(ConsentRequired):
        await verifier.enroll("cust-1", speech(SENTENCES[0], "en-us+f2"), consent("cust-1", granted=False))
    with pytest.raises(ConsentRequired):  # consent given for somebody else
        await verifier.enroll("cust-1", speech(SENTENCES[0], "en-us+f2"), consent("cust-2"))
    assert not await verifier.has_profile("cust-1")


async def test_the_enrolled_voice_is_accepted_and_other_voices_are_rejected(tmp_path: Path) -> None:
    verifier = EmbeddedSpeakerVerification(tmp_path)
    for sentence in SENTENCES[:2]:
        await verifier.enroll("cust-1", speech(sentence, "en-us+f2"), consent("cust-1"))
    own = await verifier.verify("cust-1", speech(SENTENCES[2], "en-us+f2"))
    assert own.accepted, own
    for other_voice in ("en-us+m3", "en-us+klatt", "es-419+f4"):
        result = await verifier.verify("cust-1", speech(SENTENCES[2], other_voice))
        assert not result.accepted, (other_voice, result)
    stored = json.loads((tmp_path / "voiceprints" / "cust-1" / "profile.json").read_text())
    assert stored["utterances"] == 2 and stored["consents"][0]["call_id"] == "call-1"


async def test_short_audio_and_unknown_customers_raise_named_errors(tmp_path: Path) -> None:
    verifier = EmbeddedSpeakerVerification(tmp_path)
    with pytest.raises(InsufficientAudio):
        await verifier.enroll("cust-1", b"\x00\x00" * 4000, consent("cust-1"))
    with pytest.raises(ProfileNotFound):
        await verifier.verify("nobody", speech(SENTENCES[0], "en-us+f2"))
    with pytest.raises(ValueError):
        await verifier.has_profile("../etc")


async def _audit_entries(data_dir: Path, customer: str) -> list:
    trail = EmbeddedAuditTrail(audit_db_path(data_dir))
    try:
        return await trail.query(customer)
    finally:
        await trail.close()


def _customer_files(data_dir: Path, customer: str) -> None:
    for kind, name in (
        ("transcripts", "call-1.jsonl"),
        ("recordings", "call-1.wav"),
        ("recordings", "call-2.wav"),
    ):
        folder = data_dir / kind / customer
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"x")


async def test_erasure_deletes_profile_transcripts_recordings_and_is_audited(tmp_path: Path) -> None:
    verifier = EmbeddedSpeakerVerification(tmp_path)
    await verifier.enroll("cust-1", speech(SENTENCES[0], "en-us+f2"), consent("cust-1"))
    _customer_files(tmp_path, "cust-1")
    _customer_files(tmp_path, "cust-2")
    audit: list[dict] = []
    report = await erase_customer("cust-1", tmp_path, audit.append, actor="dpo@contoso", speaker=verifier)
    assert report.files_deleted == {"voiceprints": 0, "transcripts": 1, "recordings": 2}
    for kind in ("voiceprints", "transcripts", "recordings"):
        assert not (tmp_path / kind / "cust-1").exists()
    assert (tmp_path / "recordings" / "cust-2" / "call-1.wav").exists()  # nobody else's data
    assert audit == [
        {
            "action": "privacy.erasure",
            "outcome": "completed",
            "customer_id": "cust-1",
            "actor": "dpo@contoso",
            "files_deleted": {"voiceprints": 0, "transcripts": 1, "recordings": 2},
            "errors": {},
            "at": report.at,
        }
    ]


def test_cli_privacy_erase_deletes_and_writes_the_audit_trail(tmp_path: Path) -> None:
    _customer_files(tmp_path, "cust-9")
    (tmp_path / "voiceprints" / "cust-9").mkdir(parents=True)
    (tmp_path / "voiceprints" / "cust-9" / "profile.json").write_text("{}")
    done = subprocess.run(
        [sys.executable, "cli.py", "privacy", "erase", "--customer", "cust-9", "--data-dir", str(tmp_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["deleted"] == {
        "voiceprints": 1,
        "transcripts": 1,
        "recordings": 2,
    }
    assert not any(
        (tmp_path / kind / "cust-9").exists() for kind in ("voiceprints", "transcripts", "recordings")
    )
    assert [(e.operation, e.outcome) for e in asyncio.run(_audit_entries(tmp_path, "cust-9"))] == [
        (Operation.ERASE, "completed")
    ]
    from cli import main

    assert main(["privacy", "erase", "--customer", "../x", "--data-dir", str(tmp_path)]) == 2
