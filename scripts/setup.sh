#!/usr/bin/env bash
# One-command set-up: a virtual environment in .venv with the locked dependency set
# (the run, the tests and the docs site: extras test and docs are in requirements.lock).
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
# A CJK font so charts show Chinese region names as glyphs, not boxes (Debian/Ubuntu).
install_cjk_font() {
  if dpkg -s fonts-noto-cjk >/dev/null 2>&1 || dpkg -s fonts-wqy-zenhei >/dev/null 2>&1 \
    || { command -v fc-list >/dev/null && fc-list :lang=zh family 2>/dev/null | grep -q .; }; then
    return 0  # a font with Chinese glyphs is already installed
  fi
  if ! command -v apt-get >/dev/null; then
    echo "warning: no apt-get here; install a CJK font (e.g. Noto Sans CJK) yourself, or charts show boxes for Chinese names" >&2
    return 0
  fi
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  if ! { $sudo apt-get update -q && $sudo apt-get install -y --no-install-recommends fonts-noto-cjk; } >/dev/null; then
    echo "warning: could not install fonts-noto-cjk with apt-get; charts will show boxes for Chinese names" >&2
  fi
}
install_cjk_font
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.lock
# Benchmark references (statsforecast) declare pandas<3; pinned separately, no resolver.
.venv/bin/python -m pip install --quiet --no-deps -r requirements-bench.lock
.venv/bin/python -m pip install --quiet --no-deps -e .
echo "peakwatch installed: activate with 'source .venv/bin/activate', then run 'peakwatch run'"
