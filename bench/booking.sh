#!/usr/bin/env bash
# Confirmed tickets per second with every booking fsynced (group commit), flat out and then at
# half that rate for latency. Usage: bench/booking.sh [seconds]
source "$(dirname "$0")/common.sh"
SECS="${1:-10}"
start_server --hold-ttl 30s
echo "## flat out"
"$LOADGEN" --port "$PORT" --admin-email "$ADMIN_EMAIL" --admin-password "$ADMIN_PASSWORD" \
  --users 128 --shows 24 --duration "$SECS" --seats-per-booking 2 | tee "$WORK/full.txt"
RATE=$(awk -F'[= ]' '/bookings_per_s/ {print int($4/2)}' "$WORK/full.txt")
echo "## at half that rate ($RATE bookings/s)"
"$LOADGEN" --port "$PORT" --admin-email "$ADMIN_EMAIL" --admin-password "$ADMIN_PASSWORD" \
  --users 128 --shows 24 --duration "$SECS" --seats-per-booking 2 --rate "$RATE"
