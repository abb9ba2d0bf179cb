#!/usr/bin/env bash
# Hold latency, seat-map build time and server memory as the seats per show (200, 2,000, 20,000)
# and the shows on sale (1, 100, 10,000) grow (issue 14, benchmark 5). Starts and stops its own
# embedded server. Usage: bench/growth.sh (see bench/growth.py)
set -euo pipefail
exec /usr/bin/python3 "$(dirname "$0")/growth.py" "$@"
