#!/usr/bin/env bash
# Set up and run the whole test suite, on SQLite and on PostgreSQL, including the tiers
# that run real Vosk recognition and headless Chromium. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
bash scripts/services.sh
exec .venv/bin/python -m pytest -n "${PYTEST_WORKERS:-2}" "$@"
