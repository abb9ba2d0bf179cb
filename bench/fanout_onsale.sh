#!/usr/bin/env bash
# A fan-out beside an on-sale on one embedded instance: N WebSockets on one show take 20 changes
# one second apart while boxoffice-load books 2-seat bookings at a fixed rate on 4 other shows.
# Shows what a fan-out does to request latency, and BOXOFFICE_LIVE_THREADS's effect: run it with
# BOXOFFICE_LIVE_THREADS=1 to move the sockets to a thread of their own (the default, 0, keeps
# them on the I/O threads).
# Usage: bench/fanout_onsale.sh [sockets] [bookings/s]   (defaults 15000 and 300)
source "$(dirname "$0")/common.sh"
N="${1:-15000}"
RATE="${2:-300}"
ulimit -n 20000
start_server --threads 2 --hold-ttl 30s --max-connections 19000 --max-connections-per-client 19000
echo "## on-sale at $RATE bookings/s, then $N sockets and 20 changes beside it" \
  "(BOXOFFICE_LIVE_THREADS=${BOXOFFICE_LIVE_THREADS:-0})"
"$LOAD" onsale --port "$PORT" --admin-email "$ADMIN_EMAIL" --admin-password "$ADMIN_PASSWORD" \
  --users 64 --shows 4 --duration 45 --seats-per-booking 2 --pick partition --rate "$RATE" \
  > "$WORK/onsale.txt" 2>&1 &
ONSALE=$!
# The sockets start once the on-sale runs (its users are signed in and its maps read).
for _ in $(seq 600); do grep -q "\[run" "$WORK/onsale.txt" && break; sleep 0.1; done
sleep 2
"$LOAD" sockets --port "$PORT" --admin-email "$ADMIN_EMAIL" --admin-password "$ADMIN_PASSWORD" \
  --shows 1 --seats 200 --sockets "$N" --procs $(( (N + 9999) / 10000 )) \
  --source-addrs 127.0.0.2-127.0.0.3 --changes 20 --change-interval 1 --settle 2 --timeout 60 \
  > "$WORK/sockets.txt" 2>&1
wait "$ONSALE"
echo "## sockets"
grep -E "change_delivered|sockets_open|rss" "$WORK/sockets.txt" || cat "$WORK/sockets.txt"
echo "## on-sale"
grep -E "^hold_ms|^confirm_ms|tickets_per_s|oversell" "$WORK/onsale.txt" || cat "$WORK/onsale.txt"
