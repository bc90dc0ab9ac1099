#!/usr/bin/env bash
# Lint and type checks (ruff lint + format, mypy on the application packages); scripts/test.sh runs it
# before the tests, so CI fails on either.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy adapters bots core dialogs recognizers services storage voice web config.py app.py cli.py
