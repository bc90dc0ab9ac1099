#!/usr/bin/env bash
# Installs everything the tests need (Python packages, espeak-ng, Chromium, Redis, the Cosmos DB
# emulation, Microsoft's Bot Framework streaming client), runs the lint and type checks (scripts/lint.sh),
# then the whole suite. Extra arguments go to pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup_python.sh --dev
bash scripts/install_system_packages.sh
bash scripts/install_test_servers.sh
bash scripts/lint.sh
exec .venv/bin/python -m pytest "$@"
