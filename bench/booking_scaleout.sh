#!/usr/bin/env bash
# Confirmed tickets per second on two instances sharing PostgreSQL (through PgBouncer) and a
# 6-node Redis Cluster, the oversell check, and the Redis round trips per hold, confirm and
# seat-map read (issue 12). Starts and stops everything itself. Usage: bench/booking_scaleout.sh
# [seconds] (see bench/booking_scaleout.py).
set -euo pipefail
exec /usr/bin/python3 "$(dirname "$0")/booking_scaleout.py" "$@"
