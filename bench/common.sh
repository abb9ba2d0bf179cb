# Shared by the bench scripts: start a release server on a free port with a fresh data dir.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# BOXOFFICE_BIN: another server binary (e.g. another checkout's); LOAD: the load tool (issue 14).
BIN="${BOXOFFICE_BIN:-$ROOT/build/release/boxoffice}"
LOAD="$ROOT/build/release/boxoffice-load"
[ -x "$BIN" ] || { cmake --preset release >/dev/null && cmake --build --preset release -j"$(nproc)"; }
[ -x "$LOAD" ] || { cmake --preset release >/dev/null && cmake --build --preset release --target boxoffice-load; }
WORK="$(mktemp -d /tmp/boxoffice-bench.XXXXXX)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
ADMIN_EMAIL=admin@bench.test
ADMIN_PASSWORD=bench-password
start_server() {
  "$BIN" serve --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" --admin-email "$ADMIN_EMAIL" \
    --admin-password "$ADMIN_PASSWORD" --log-level warn \
    --rate-limit-per-min 100000000 --auth-rate-limit-per-min 100000000 "$@" > "$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  trap 'kill $SERVER_PID 2>/dev/null; wait $SERVER_PID 2>/dev/null; rm -rf "$WORK"' EXIT
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return; sleep 0.1; done
  echo "server did not start"; cat "$WORK/server.log"; exit 1
}
