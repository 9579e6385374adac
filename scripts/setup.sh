#!/usr/bin/env bash
# Install what the service needs on a fresh Debian machine: system packages (ffmpeg for
# pydub, espeak-ng and sox for synthetic test speech), a virtual environment in .venv,
# and this package with the extras given as arguments (e.g. "test").
# Safe to repeat: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

extras="${1:-}"
need_apt=()
for tool in ffmpeg:ffmpeg espeak-ng:espeak-ng sox:sox; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || need_apt+=("${tool##*:}")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed${extras:+-$extras}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python packages${extras:+ ($extras)}"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".${extras:+[$extras]}"
  touch "$stamp"
fi
