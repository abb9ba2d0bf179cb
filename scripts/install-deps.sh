#!/usr/bin/env bash
# Installs the Debian bookworm packages that boxoffice needs. Idempotent: packages already
# present are left alone.
#
#   install-deps.sh            everything to build, test and benchmark (scripts/start.sh, test.sh)
#   install-deps.sh --build    only what `cmake --preset release` and its build need (the
#                              Dockerfile's build stage)
#   install-deps.sh --runtime  only what the built `boxoffice` binary needs to run (the
#                              Dockerfile's runtime stage; tests/deploy checks that it covers
#                              every shared library the binary links)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
MODE="${1:-all}"
case "$MODE" in
  all|--build|--runtime) ;;
  *) echo "usage: $0 [--build | --runtime]" >&2; exit 2 ;;
esac
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
BUILD_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libsodium-dev libspdlog-dev libcli11-dev
  libgtest-dev libgmock-dev libpq-dev libhiredis-dev zlib1g-dev
)
RUNTIME_PACKAGES=(
  libboost-json1.81.0 libboost-url1.81.0 libspdlog1.10 libfmt9
  libsqlite3-0 libsodium23 libpq5 libhiredis0.14 zlib1g
  tzdata ca-certificates curl
)
# Tests and benchmarks: PostgreSQL, PgBouncer, Redis, nginx, the browser, the deployment checks,
# gnuplot for bench/plot.sh.
# nginx is Debian's full package (nginx-light is only a transitional name for it in bookworm);
# docker-compose and yamllint validate the deployment files (tests/deploy).
TEST_PACKAGES=(
  sqlite3
  postgresql-15 postgresql-contrib pgbouncer redis-server redis-tools
  clang-14 libclang-rt-14-dev clang-format
  chromium nginx docker-compose yamllint
  python3 python3-pytest python3-requests python3-websocket python3-yaml python3-jsonschema
  tzdata
  wrk curl procps gnuplot-nox
)
case "$MODE" in
  all) PACKAGES=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
  --build) PACKAGES=("${BUILD_PACKAGES[@]}") ;;
  --runtime) PACKAGES=("${RUNTIME_PACKAGES[@]}") ;;
esac
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  # PostgreSQL, PgBouncer, Redis and nginx are for the tests, which start their own on loopback
  # in temporary folders (tests/harness/pg_cluster.py). Their packages would start system
  # services and create a default cluster ("15/main" on port 5432): a policy-rc.d that refuses
  # every service start stands for the install (as in Docker images; without systemd a start
  # could fail the install), and postgresql-common is told not to create that cluster.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# install-deps.sh: no service starts during the install\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  if [ "$MODE" = all ]; then
    $SUDO mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.d/boxoffice-no-main-cluster.conf >/dev/null
  fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi
# The build and runtime images need nothing else (and no Node.js).
if [ "$MODE" != all ]; then exit 0; fi
# Node.js runs the browser tests; machines of this project's kind ship it, Debian has it too.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
# playwright-core drives Debian's chromium; it never downloads a browser of its own.
(cd "$(dirname "$0")/../tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
# Redocly CLI lints docs/openapi.yaml (scripts/lint-openapi.sh).
(cd "$(dirname "$0")/../tests/openapi" && npm ci --no-audit --no-fund --loglevel=error)
# kubernetes-models validates the Kubernetes manifests in k8s/ (tests/deploy).
(cd "$(dirname "$0")/../tests/deploy" && npm ci --no-audit --no-fund --loglevel=error)
