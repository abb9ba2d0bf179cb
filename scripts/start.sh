#!/usr/bin/env bash
# Installs what boxoffice needs, builds it, and serves the demo catalog on http://127.0.0.1:8080/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target boxoffice
export BOXOFFICE_DEMO="${BOXOFFICE_DEMO:-1}"
export BOXOFFICE_ADMIN_EMAIL="${BOXOFFICE_ADMIN_EMAIL:-admin@boxoffice.local}"
export BOXOFFICE_ADMIN_PASSWORD="${BOXOFFICE_ADMIN_PASSWORD:-change-me-now}"
echo "boxoffice: http://127.0.0.1:8080/ (admin: $BOXOFFICE_ADMIN_EMAIL / $BOXOFFICE_ADMIN_PASSWORD)"
exec ./build/release/boxoffice serve "$@"
