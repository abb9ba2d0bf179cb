#!/usr/bin/env bash
# The on-sale soak: a long run of hold/confirm/cancel, release and expiry churn on one
# 20,000-seat show with unknown ids and WebSocket watchers, RSS sampled every 10 s.
# Usage: bench/soak.sh [seconds=600] [workers=3]. Exits non-zero if memory did not level off.
source "$(dirname "$0")/common.sh"
SECS="${1:-600}"
WORKERS="${2:-3}"
start_server --hold-ttl 2s
/usr/bin/python3 "$ROOT/bench/soak.py" --url "http://127.0.0.1:$PORT" --pid "$SERVER_PID" \
  --seconds "$SECS" --workers "$WORKERS" --out "$ROOT/bench/soak-last.json"
