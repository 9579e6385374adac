#!/usr/bin/env bash
# Set up and run the whole service on the embedded default: SQLite database, SQLite job
# queue and local recordings in ./instance, loaded with demo data. Ctrl-C stops it.
#   ./scripts/run.sh            listens on 127.0.0.1:5000
#   PORT=8000 ./scripts/run.sh  another port
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export IVR_INSTANCE_DIR="${IVR_INSTANCE_DIR:-$PWD/instance}"
PORT="${PORT:-5000}"
export IVR_PUBLIC_URL="${IVR_PUBLIC_URL:-http://127.0.0.1:$PORT}"
.venv/bin/ivr demo
echo "open http://127.0.0.1:$PORT/healthz"
exec .venv/bin/ivr serve --host 127.0.0.1 --port "$PORT"
