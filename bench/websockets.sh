#!/usr/bin/env bash
# Live-update scale: N idle WebSockets on one show (server RSS per socket), then the time one
# seat change takes to reach all of them. Usage: bench/websockets.sh [sockets] (default 15000;
# one process may open at most 20,000 files here, so keep N below ~19,000).
source "$(dirname "$0")/common.sh"
N="${1:-15000}"
WSBENCH="$ROOT/build/release/boxoffice-wsbench"
[ -x "$WSBENCH" ] || cmake --build --preset release -j"$(nproc)" --target boxoffice-wsbench
start_server --threads 2 --demo --max-connections 19000
B="http://127.0.0.1:$PORT/api/v1"
curl -sf -X POST "$B/users" -H 'Content-Type: application/json' \
  -d '{"email":"watcher@bench.test","password":"bench-password","name":"Watcher"}' >/dev/null
TOKEN=$(curl -sf -X POST "$B/sessions" -H 'Content-Type: application/json' \
  -d '{"email":"watcher@bench.test","password":"bench-password"}' | python3 -c 'import sys,json; print(json.load(sys.stdin)["token"])')
echo "## $N idle sockets on show 1, then one hold"
"$WSBENCH" --port "$PORT" --show 1 --sockets "$N" --threads 1 --server-pid "$SERVER_PID" --token "$TOKEN" --seat A1
