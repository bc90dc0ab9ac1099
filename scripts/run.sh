#!/usr/bin/env bash
# Runs the bot on the embedded (offline) defaults: http://localhost:3978/api/messages
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup_python.sh
if ! command -v espeak-ng >/dev/null 2>&1; then
    echo "note: espeak-ng is not installed; the softphone's embedded voice needs it (scripts/install_system_packages.sh)" >&2
fi
exec .venv/bin/python app.py "$@"
