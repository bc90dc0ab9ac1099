"""No credential is committed: every git-tracked file is grepped for secret patterns."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# (name, pattern). Patterns aim at real credentials, not at the words "key" or "password".
SECRET_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("storage/cosmos/service-bus account key", re.compile(r"AccountKey=[A-Za-z0-9+/]{40,}={0,2}")),
    ("shared access key", re.compile(r"SharedAccessKey=[A-Za-z0-9+/]{30,}={0,2}")),
    ("ACS access key", re.compile(r"accesskey=[A-Za-z0-9+/]{40,}={0,2}", re.IGNORECASE)),
    ("SAS signature", re.compile(r"[?&]sig=[A-Za-z0-9%+/]{30,}")),
    ("JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")),
    ("private key", re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----")),
    (
        "Azure AI / cognitive services key",
        re.compile(
            r"(?i)(?:subscription[-_]?key|api[-_]?key|ocp-apim-subscription-key)[\"']?\s*[:=]\s*[\"']?[0-9a-f]{32}\b"
        ),
    ),
    ("new-format Azure AI key", re.compile(r"\b[A-Za-z0-9]{52}JQQJ99[A-Za-z0-9]{4}\b")),
    ("Entra client secret", re.compile(r"\b[A-Za-z0-9_~.-]{3}8Q~[A-Za-z0-9_~.-]{31,34}\b")),
    (
        "Application Insights instrumentation key",
        re.compile(
            r"InstrumentationKey=[0-9a-f]{8}-(?!0000-0000-0000)[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
        ),
    ),
    ("OpenAI key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}")),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}")),
    ("AWS access key id", re.compile(r"\bAKIA[0-9A-Z]{16}\b")),
]
# Tests that build fake credentials to prove the scanners and redactors work.
ALLOWED_FILES = {"tests/test_no_secrets_in_repo.py"}
# Third-party code that must not be tracked at all (.gitignore lists it); its docs and test vectors
# contain sample keys. Our own files are what this test is about.
VENDORED_PREFIXES = (".venv/", ".venv-", "node_modules/", "tests/support/cosmos/node_modules/")
MAX_BYTES = 2_000_000


def tracked_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
    ).stdout.decode()
    return [
        ROOT / name
        for name in out.split("\0")
        if name
        and name not in ALLOWED_FILES
        and not name.startswith(VENDORED_PREFIXES)
        and "/node_modules/" not in name
    ]


def scan(text: str) -> list[str]:
    """Names of the secret patterns found in `text`."""
    return [name for name, pattern in SECRET_PATTERNS if pattern.search(text)]


def test_the_scanner_recognises_each_kind_of_secret() -> None:
    samples = {
        "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=" + "A" * 86 + "==": "account key",
        "endpoint=https://x.communication.azure.com/;accesskey=" + "b" * 60 + "==": "ACS access key",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2lnbmF0dXJl": "JWT",
        "-----BEGIN " + "PRIVATE KEY-----": "private key",
        'CLU__KEY="' + "0123456789abcdef" * 2 + '"': None,  # bare hex in an env file is caught below
        "Ocp-Apim-Subscription-Key: " + "0123456789abcdef" * 2: "Azure AI / cognitive services key",
    }
    for text, expected in samples.items():
        found = scan(text)
        if expected:
            assert any(expected in name for name in found), (text, found)


def test_no_tracked_file_contains_a_secret() -> None:
    files = tracked_files()
    assert files, "git ls-files returned nothing"
    hits: list[str] = []
    for path in files:
        if not path.is_file() or path.stat().st_size > MAX_BYTES:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        hits.extend(f"{path.relative_to(ROOT)}: {name}" for name in scan(text))
    assert not hits, "secrets committed:\n" + "\n".join(hits)


@pytest.mark.parametrize("name", [".env", "var/.env"])
def test_env_files_are_not_tracked(name: str) -> None:
    tracked = {str(p.relative_to(ROOT)) for p in tracked_files()}
    assert name not in tracked
