#!/usr/bin/env bash
# Runs the bot on the embedded (offline) defaults: http://localhost:3978/api/messages
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup_python.sh
bash scripts/install_system_packages.sh espeak-ng  # the embedded voice (softphone, ACS calls)
exec .venv/bin/python app.py "$@"
