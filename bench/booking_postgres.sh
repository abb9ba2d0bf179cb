#!/usr/bin/env bash
# Confirmed tickets per second on PostgreSQL through PgBouncer (issue 11), flat out and at half
# that rate, the oversell check, and pgbench's one-booking-per-transaction ceiling on the same
# cluster. Starts and stops everything itself. Usage: bench/booking_postgres.sh [seconds]
# (see bench/booking_postgres.py for what runs and the knobs).
set -euo pipefail
exec /usr/bin/python3 "$(dirname "$0")/booking_postgres.py" "$@"
