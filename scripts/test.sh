#!/usr/bin/env bash
# Installs everything the tests need (Python packages, espeak-ng, Chromium, Redis, the Cosmos DB
# emulation, Microsoft's Bot Framework streaming client), runs the lint and type checks (scripts/lint.sh),
# then the whole suite on two pytest-xdist workers (each file on one worker, the voice tests together:
# tests/support/markers.py). Extra arguments go to pytest (`-n 0`: one process).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup_python.sh --dev
# Lint (CPU) and the checkov venv (network) are made while the system packages and test servers install.
bash scripts/lint.sh &
LINT=$!
bash scripts/check_templates.sh --venv-only >/dev/null &
CHECKOV=$!
trap 'kill "$LINT" "$CHECKOV" 2>/dev/null || true' EXIT
bash scripts/install_system_packages.sh
bash scripts/install_test_servers.sh
wait "$LINT"
# A failed checkov venv is reported by its test (tests/test_deployment_templates.py), not here.
wait "$CHECKOV" || true
trap - EXIT
exec .venv/bin/python -m pytest -n 2 --dist loadgroup "$@"
