#!/usr/bin/env bash
# Installs every Debian bookworm package that boxoffice needs to build, test and benchmark.
# Idempotent: packages already present are left alone.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev sqlite3 libsodium-dev libspdlog-dev libcli11-dev
  libgtest-dev libgmock-dev libpq-dev libhiredis-dev zlib1g-dev
  redis-server redis-tools
  clang-14 libclang-rt-14-dev clang-format
  chromium nginx-light
  python3 python3-pytest python3-requests python3-websocket python3-yaml python3-jsonschema
  tzdata
  wrk curl procps
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi
# Node.js runs the browser tests; machines of this project's kind ship it, Debian has it too.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
# playwright-core drives Debian's chromium; it never downloads a browser of its own.
(cd "$(dirname "$0")/../tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
# Redocly CLI lints docs/openapi.yaml (scripts/lint-openapi.sh).
(cd "$(dirname "$0")/../tests/openapi" && npm ci --no-audit --no-fund --loglevel=error)
