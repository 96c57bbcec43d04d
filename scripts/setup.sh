#!/usr/bin/env bash
# One-command set-up: a virtual environment in .venv with the locked dependency set.
# Usage: bash scripts/setup.sh   (re-running it is safe)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
"$PYTHON" - <<'PY'
import sys
if sys.version_info[:2] != (3, 11):
    sys.exit(f"peakwatch needs Python 3.11, found {sys.version.split()[0]} (set PYTHON=/path/to/python3.11)")
PY
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.lock
# Benchmark references (statsforecast) declare pandas<3; pinned separately, no resolver.
.venv/bin/python -m pip install --quiet --no-deps -r requirements-bench.lock
.venv/bin/python -m pip install --quiet --no-deps -e .
echo "peakwatch installed: activate with 'source .venv/bin/activate', then run 'peakwatch run'"
