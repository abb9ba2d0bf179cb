#!/usr/bin/env bash
# Live-update scale: N idle WebSockets on one show (server RSS per socket), then 10 seat changes
# (a hold, its release, ...) timed at every socket. Usage: bench/websockets.sh [sockets]
# (default 15000; the server, one process, may open at most 20,000 files here, so keep N below
# ~19,000; the load tool spreads its sockets over processes of 10,000).
source "$(dirname "$0")/common.sh"
N="${1:-15000}"
# Every socket comes from 127.0.0.1 here: the per-address cap is raised with the total.
start_server --threads 2 --demo --max-connections 19000 --max-connections-per-client 19000
echo "## $N idle sockets on show 1, then 10 changes"
"$LOAD" sockets --port "$PORT" --show-ids 1 --sockets "$N" --procs $(( (N + 9999) / 10000 )) \
  --changes 10 --server-pid "$SERVER_PID"
