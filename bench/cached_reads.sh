#!/usr/bin/env bash
# A cached catalog read from boxoffice against nginx serving the same bytes as a static file,
# both with 2 workers, wrk with 2 threads and 64 connections. Usage: bench/cached_reads.sh
source "$(dirname "$0")/common.sh"
command -v nginx >/dev/null || apt-get install -y -qq nginx-light >/dev/null
start_server --threads 2 --demo
curl -sf "http://127.0.0.1:$PORT/api/v1/movies" > "$WORK/movies.json"
NPORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
mkdir -p "$WORK/www" && cp "$WORK/movies.json" "$WORK/www/movies.json"
cat > "$WORK/nginx.conf" <<CONF
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off; default_type application/json; sendfile on; tcp_nopush on; keepalive_requests 1000000;
  client_body_temp_path $WORK; proxy_temp_path $WORK; fastcgi_temp_path $WORK; uwsgi_temp_path $WORK; scgi_temp_path $WORK;
  server { listen 127.0.0.1:$NPORT; root $WORK/www; }
}
CONF
nginx -c "$WORK/nginx.conf"
trap 'nginx -s stop -c "$WORK/nginx.conf"; kill $SERVER_PID 2>/dev/null; wait $SERVER_PID 2>/dev/null; rm -rf "$WORK"' EXIT
sleep 0.3
for round in 1 2; do
  echo "## round $round: nginx static file"; wrk -t2 -c64 -d8s "http://127.0.0.1:$NPORT/movies.json" | grep -E "Latency|Requests/sec"
  echo "## round $round: boxoffice GET /api/v1/movies (cached)"; wrk -t2 -c64 -d8s "http://127.0.0.1:$PORT/api/v1/movies" | grep -E "Latency|Requests/sec"
  echo "## round $round: boxoffice GET /api/v1/shows/1/seats (cached seat map, 560 seats)"; wrk -t2 -c64 -d8s "http://127.0.0.1:$PORT/api/v1/shows/1/seats" | grep -E "Latency|Requests/sec"
done
