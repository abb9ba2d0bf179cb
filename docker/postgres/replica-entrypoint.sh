#!/bin/bash
# The query DB of docker-compose.scaling.yml: a streaming hot standby of the command DB. On its
# first start (an empty volume) it copies the primary with pg_basebackup -R, which writes
# standby.signal and primary_conninfo; afterwards it just starts and catches up from the WAL.
set -euo pipefail
: "${PRIMARY_HOST:?the command DB host}"
: "${REPLICATION_USER:?a role with REPLICATION}"
: "${REPLICATION_PASSWORD:?its password}"
export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h "$PRIMARY_HOST" -p 5432 -q; do
    echo "replica: waiting for $PRIMARY_HOST"
    sleep 1
  done
  rm -rf "${PGDATA:?}"/*
  PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h "$PRIMARY_HOST" -p 5432 -U "$REPLICATION_USER" \
    -D "$PGDATA" -R -X stream --checkpoint=fast
  chmod 700 "$PGDATA"
fi
exec postgres -c hot_standby=on -c hot_standby_feedback=on
