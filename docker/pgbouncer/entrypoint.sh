#!/bin/sh
# Starts one PgBouncer of docker-compose.scaling.yml: this instance's database host and
# credentials come from the environment, the pooling settings from pgbouncer.ini (shared by both
# bouncers and by tests/deploy/test_nginx_front.py).
set -eu
: "${PGBOUNCER_DB_HOST:?the PostgreSQL host behind this bouncer}"
: "${PGBOUNCER_DB_USER:?the database user}"
: "${PGBOUNCER_DB_PASSWORD:?the database password}"
umask 077
mkdir -p /tmp/pgbouncer
# PgBouncer answers SCRAM itself with the password from here and logs in to PostgreSQL with it.
printf '"%s" "%s"\n' "$PGBOUNCER_DB_USER" "$PGBOUNCER_DB_PASSWORD" > /tmp/pgbouncer/userlist.txt
cat > /tmp/pgbouncer/pgbouncer.ini <<INI
[databases]
* = host=${PGBOUNCER_DB_HOST} port=${PGBOUNCER_DB_PORT:-5432}

[pgbouncer]
listen_addr = 0.0.0.0
listen_port = 6432
unix_socket_dir =
auth_type = scram-sha-256
auth_file = /tmp/pgbouncer/userlist.txt
%include /etc/pgbouncer/boxoffice/pgbouncer.ini
INI
exec pgbouncer /tmp/pgbouncer/pgbouncer.ini
