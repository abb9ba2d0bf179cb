#!/bin/sh
# The one-shot `redis-cluster-init` service of docker-compose.scaling.yml: makes the six nodes
# one Redis Cluster of 3 masters with a replica each, unless they already are one (a restart).
# REDIS_CLUSTER_NODES: host:port of each node, separated by spaces.
set -eu
NODES="${REDIS_CLUSTER_NODES:-redis-node-1:7001 redis-node-2:7002 redis-node-3:7003 redis-node-4:7004 redis-node-5:7005 redis-node-6:7006}"
first="${NODES%% *}"
if redis-cli -h "${first%:*}" -p "${first##*:}" cluster info | grep -q '^cluster_state:ok'; then
  echo "cluster-init: the cluster already exists"
  exit 0
fi
# CLUSTER MEET takes addresses, not host names: resolve each node first.
addresses=""
for node in $NODES; do
  host="${node%:*}"
  ip="$(getent hosts "$host" | awk '{ print $1; exit }')"
  if [ -z "$ip" ]; then
    echo "cluster-init: cannot resolve $host" >&2
    exit 1
  fi
  addresses="$addresses $ip:${node##*:}"
done
# shellcheck disable=SC2086 # one argument per node
redis-cli --cluster create $addresses --cluster-replicas 1 --cluster-yes
