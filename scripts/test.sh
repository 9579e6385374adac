#!/usr/bin/env bash
# Set up and run the whole test suite, on SQLite and on PostgreSQL, including the tiers
# that run real Vosk recognition and headless Chromium. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
bash scripts/services.sh
# Browser tests drive Debian's Chromium (a test tool's own browser download is not used);
# the cluster test (tests/cluster; root only) puts HAProxy in front of hosts made with ip netns.
tools=(chromium:chromium)
[ "$(id -u)" -eq 0 ] && tools+=(haproxy:haproxy ip:iproute2 unshare:util-linux)
need_apt=()
for tool in "${tools[@]}"; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || need_apt+=("${tool##*:}")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
exec .venv/bin/python -m pytest -n "${PYTEST_WORKERS:-2}" "$@"
