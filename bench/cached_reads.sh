#!/usr/bin/env bash
# Hot reads (issue 14, benchmark 1): cached reads from boxoffice against nginx serving the same
# bytes as a static file, with as many nginx workers as boxoffice has I/O threads (2) and the
# same wrk settings (2 threads, 64 connections, 8 s, two rounds):
#   - a 200-seat show's seat map (~19 KB): plain, and gzip (boxoffice's cached gzip bytes against
#     nginx's gzip_static serving a .gz made with gzip -6, boxoffice's level);
#   - the cached movie list (small).
# Usage: bench/cached_reads.sh
source "$(dirname "$0")/common.sh"
command -v nginx >/dev/null || apt-get install -y -qq nginx >/dev/null
start_server --threads 2 --demo
API="http://127.0.0.1:$PORT/api/v1"
TOKEN=$(curl -sf -H 'Content-Type: application/json' -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" "$API/sessions" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
post() { curl -sf -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" -d "$2" "$API$1"; }
id() { python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }
MOVIE=$(post /movies '{"title":"Hot reads","description":"d","duration_minutes":90,"rating":"PG","genres":["drama"]}' | id)
ROWS=$(python3 -c 'import json; print(json.dumps([{"row": chr(65 + r), "seats": 20, "category": "standard"} for r in range(10)]))')
SCREEN=$(post /theaters "{\"name\":\"Hot hall\",\"city\":\"B\",\"screens\":[{\"name\":\"S\",\"rows\":$ROWS}]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["screens"][0]["id"])')
STARTS=$(date -u -d '+30 days' +%Y-%m-%dT%H:00:00Z)
SHOW=$(post /shows "{\"movie_id\":$MOVIE,\"screen_id\":$SCREEN,\"starts_at\":\"$STARTS\",\"prices\":{\"standard\":1000}}" | id)
mkdir -p "$WORK/www"
curl -sf "$API/shows/$SHOW/seats" > "$WORK/www/seats.json"
curl -sf "$API/movies" > "$WORK/www/movies.json"
gzip -6 -k "$WORK/www/seats.json"
echo "## seat map of show $SHOW: $(stat -c %s "$WORK/www/seats.json") bytes, gzip $(stat -c %s "$WORK/www/seats.json.gz") bytes;" \
  "boxoffice sends $(curl -sf -H 'Accept-Encoding: gzip' "$API/shows/$SHOW/seats" | wc -c) gzip bytes"
NPORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cat > "$WORK/nginx.conf" <<CONF
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off; default_type application/json; sendfile on; tcp_nopush on; keepalive_requests 1000000;
  client_body_temp_path $WORK; proxy_temp_path $WORK; fastcgi_temp_path $WORK; uwsgi_temp_path $WORK; scgi_temp_path $WORK;
  server { listen 127.0.0.1:$NPORT; root $WORK/www; gzip_static on; }
}
CONF
nginx -c "$WORK/nginx.conf"
trap 'nginx -s stop -c "$WORK/nginx.conf"; kill $SERVER_PID 2>/dev/null; wait $SERVER_PID 2>/dev/null; rm -rf "$WORK"' EXIT
sleep 0.3
rate() { wrk -t2 -c64 -d8s "$@" | awk '/Requests\/sec/ {printf "%d", $2}'; }
GZ=(-H 'Accept-Encoding: gzip')
for round in 1 2; do
  n=$(rate "http://127.0.0.1:$NPORT/seats.json"); b=$(rate "$API/shows/$SHOW/seats")
  ng=$(rate "${GZ[@]}" "http://127.0.0.1:$NPORT/seats.json"); bg=$(rate "${GZ[@]}" "$API/shows/$SHOW/seats")
  nm=$(rate "http://127.0.0.1:$NPORT/movies.json"); bm=$(rate "$API/movies")
  echo "round $round: seat map plain: nginx $n, boxoffice $b req/s ($(python3 -c "print(f'{$b/$n:.2f}')")x);" \
    "gzip: nginx gzip_static $ng, boxoffice $bg req/s ($(python3 -c "print(f'{$bg/$ng:.2f}')")x);" \
    "movie list: nginx $nm, boxoffice $bm req/s ($(python3 -c "print(f'{$bm/$nm:.2f}')")x)"
done
