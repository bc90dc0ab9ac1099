#!/usr/bin/env bash
# Scan deploymentTemplates/ with checkov (its own venv, .venv-checkov) and fail on unwaived findings.
# Exit codes: 0 clean, 1 unwaived findings / parse errors / bad waivers, 3 the checkov venv could not be made.
# `--venv-only`: just make the venv (scripts/test.sh does it while the other installs run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-checkov"
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"

if [ ! -x "$VENV/bin/checkov" ]; then
  echo "check_templates: creating $VENV from requirements-checkov.txt" >&2
  if ! { "$PYTHON" -m venv "$VENV" && "$VENV/bin/pip" install -q -r "$ROOT/requirements-checkov.txt"; }; then
    echo "check_templates: could not create the checkov venv" >&2
    exit 3
  fi
fi
[ "${1:-}" = "--venv-only" ] && exit 0

REPORT="$(mktemp)"
trap 'rm -f "$REPORT"' EXIT
# --skip-download: no Prisma Cloud calls (no network here); checkov exits 1 when any check fails.
set +e
"$VENV/bin/checkov" -d "$ROOT/deploymentTemplates" --framework bicep --skip-download --quiet \
  --output json >"$REPORT" 2>/dev/null
status=$?
set -e
if [ "$status" -gt 1 ]; then
  echo "check_templates: checkov failed with exit code $status" >&2
  exit 1
fi

"$VENV/bin/python" - "$REPORT" "$ROOT/deploymentTemplates/checkov-waivers.yaml" <<'PY'
import json
import sys

import yaml

report = json.load(open(sys.argv[1]))
reports = report if isinstance(report, list) else [report]
waivers = (yaml.safe_load(open(sys.argv[2])) or {}).get("waivers") or []
problems = []
for w in waivers:
    if not str(w.get("reason", "")).strip() or not w.get("check"):
        problems.append(f"waiver without check id or reason: {w}")

used = set()
blocking = []
passed = failed = 0
for rep in reports:
    summary = rep.get("summary", {})
    passed += summary.get("passed", 0)
    failed += summary.get("failed", 0)
    if summary.get("parsing_errors"):
        problems.append(f"{summary['parsing_errors']} template(s) could not be parsed: {rep['results'].get('parsing_errors')}")
    for c in rep.get("results", {}).get("failed_checks", []):
        # Offline checkov reports no severity: treat unknown as HIGH, so everything must be fixed or waived.
        severity = (c.get("severity") or "HIGH").upper()
        path = c["file_path"].lstrip("/")
        match = next(
            (i for i, w in enumerate(waivers)
             if w.get("check") == c["check_id"]
             and w.get("file", path).lstrip("/") == path
             and w.get("resource", c["resource"]) == c["resource"]),
            None,
        )
        if match is not None:
            used.add(match)
            print(f"waived   {c['check_id']:<14} {path}  {c['resource']}")
        elif severity in ("HIGH", "CRITICAL"):
            blocking.append(f"{c['check_id']} [{severity}] {c['check_name']}  {path}  {c['resource']}")
        else:
            print(f"note     {c['check_id']:<14} [{severity}] {path}  {c['resource']}")
for i, w in enumerate(waivers):
    if i not in used:
        problems.append(f"stale waiver (matches no finding): {w.get('check')} {w.get('file')} {w.get('resource')}")

for b in blocking:
    print(f"BLOCKING {b}")
for p in problems:
    print(f"ERROR    {p}")
print(f"checkov: {passed} passed, {failed} failed, {len(used)} waived, {len(blocking)} blocking")
sys.exit(1 if blocking or problems else 0)
PY
