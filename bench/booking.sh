#!/usr/bin/env bash
# Confirmed tickets per second with every booking fsynced (group commit), flat out and then at
# half that rate for latency (boxoffice-load onsale, each user booking seats no one else asks for;
# the oversell check runs after each; 80 shows of 20,000 seats, so 60 s at 25,000 tickets/s do not
# sell out). Usage: bench/booking.sh [seconds]
source "$(dirname "$0")/common.sh"
SECS="${1:-10}"
start_server --hold-ttl 30s
echo "## flat out"
"$LOAD" onsale --port "$PORT" --admin-email "$ADMIN_EMAIL" --admin-password "$ADMIN_PASSWORD" \
  --users 128 --shows 80 --duration "$SECS" --seats-per-booking 2 --pick partition \
  --timeseries "$WORK/flat.csv" --server-pid "$SERVER_PID" | tee "$WORK/full.txt"
RATE=$(awk -F'[= ]' '/bookings_per_s/ {print int($4/2)}' "$WORK/full.txt")
echo "## at half that rate ($RATE bookings/s)"
"$LOAD" onsale --port "$PORT" --admin-email "$ADMIN_EMAIL" --admin-password "$ADMIN_PASSWORD" \
  --users 128 --shows 80 --duration "$SECS" --seats-per-booking 2 --pick partition --rate "$RATE" \
  --timeseries "$WORK/half.csv" --server-pid "$SERVER_PID"
# Plots (gnuplot) of both runs over time, linked from BENCHMARKS.md.
PLOTS="${BENCH_PLOTS_DIR:-$ROOT/docs/bench}"
mkdir -p "$PLOTS"
bash "$ROOT/bench/plot.sh" "$WORK/flat.csv" "$PLOTS/onsale-embedded-flat.svg" "embedded on-sale, flat out"
bash "$ROOT/bench/plot.sh" "$WORK/half.csv" "$PLOTS/onsale-embedded-half.svg" "embedded on-sale, half rate"
echo "## plots: $PLOTS/onsale-embedded-flat.svg, $PLOTS/onsale-embedded-half.svg"
echo "## ceiling: SQLite alone on this machine, same settings (bench/sqlite_ceiling.py)"
/usr/bin/python3 "$ROOT/bench/sqlite_ceiling.py" 10
