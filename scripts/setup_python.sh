#!/usr/bin/env bash
# Creates .venv (Python 3.11) and installs the pinned requirements; with --dev also the test tools.
# Idempotent and quick when nothing changed (a stamp file remembers the requirements' hash).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
REQS=requirements.txt
[ "${1:-}" = "--dev" ] && REQS=requirements-dev.txt
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
fi
STAMP=".venv/.installed-$(basename "$REQS" .txt)"
HASH="$(cat requirements*.txt | sha256sum | cut -c1-16)"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$HASH" ]; then
    .venv/bin/python -m pip install -q -r "$REQS"
    echo "$HASH" > "$STAMP"
fi
