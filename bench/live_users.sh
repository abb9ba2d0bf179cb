#!/usr/bin/env bash
# 50,000 live WebSockets over 3 instances (PostgreSQL + Redis Cluster) during an on-sale: the
# delivery time of every change at every socket, the on-sale's latency, memory per socket
# (issue 14, benchmark 4). Starts and stops everything itself.
# Usage: bench/live_users.sh [sockets] [on-sale bookings/s]   (see bench/live_users.py)
set -euo pipefail
exec /usr/bin/python3 "$(dirname "$0")/live_users.py" "$@"
