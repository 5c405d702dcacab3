#!/usr/bin/env bash
# One command for the whole serving bench:  bash bench/serving/run.sh
# Env: RUNS (default 2), DURATION (default 10s), ONLY=a-,c- (setup-name prefixes),
#      ENDPOINTS=hello,item,post (default all three), EXPLORE=1 (extra granian/uvicorn variants),
#      SKIP_WS_CHECK=1. Results: bench/serving/.data/results/<timestamp>/ ; merge runs with
#      python bench/serving/report.py DIR [DIR...]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
VENV_BIN="${VENV_BIN:-$HERE/../../.venv/bin}"
export VENV_BIN

# wrk (Debian package)
if ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

# Bench-only deps, kept OUT of the project venv: gunicorn (setup b) and the
# `websockets` library (uvicorn needs it for websockets; the test client uses it).
if [ ! -f "$HERE/.deps/.ok" ]; then
  "$VENV_BIN/python" -m pip install -q --target "$HERE/.deps" 'gunicorn==27.0.1' 'websockets==17.4'
  touch "$HERE/.deps/.ok"
fi

# Schema + 100k rows (idempotent)
"$VENV_BIN/python" "$HERE/seed.py"

exec "$VENV_BIN/python" "$HERE/run.py"
