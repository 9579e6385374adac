#!/usr/bin/env bash
# Set up and run the whole test suite, on SQLite and on PostgreSQL, including the tiers
# that run real Vosk recognition and headless Chromium. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
bash scripts/services.sh
# Browser tests drive Debian's Chromium (a test tool's own browser download is not used).
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
exec .venv/bin/python -m pytest -n "${PYTEST_WORKERS:-2}" "$@"
