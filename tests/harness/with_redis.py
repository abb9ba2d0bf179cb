#!/usr/bin/python3
"""Runs a command with throw-away Redis servers: one standalone redis-server and a 6-node
cluster (3 masters, 3 replicas), on free loopback ports in temporary directories.

    with_redis.py -- <command> [args...]

Exports BOXOFFICE_TEST_REDIS_URL (redis://127.0.0.1:P) and BOXOFFICE_TEST_REDIS_CLUSTER_URL
(comma list of all six nodes) to the command, exits with its status, and kills every server
it started afterwards, also when the command fails or this script is interrupted.
"""
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from redis_cluster import RedisCluster, RedisStandalone, become_subreaper  # noqa: E402


def main(argv):
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        print("usage: with_redis.py -- <command> [args...]", file=sys.stderr)
        return 2
    cmd = argv[argv.index("--") + 1:]

    # SIGTERM/SIGHUP (ctest's timeout, a closed terminal) unwind through the finally below.
    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    # Nodes a test restarts as daemons become our children, so we reap them after killing.
    become_subreaper()

    standalone = RedisStandalone()
    cluster = RedisCluster(masters=3, replicas=1)
    child = None
    try:
        standalone.start()
        cluster.start()
        env = dict(os.environ)
        env["BOXOFFICE_TEST_REDIS_URL"] = standalone.url
        env["BOXOFFICE_TEST_REDIS_CLUSTER_URL"] = cluster.url
        print(f"with_redis: standalone {standalone.url}; cluster {cluster.url}", flush=True)
        child = subprocess.Popen(cmd, env=env)
        return child.wait()
    except KeyboardInterrupt:
        return 130
    finally:
        if child and child.poll() is None:
            child.kill()
            child.wait()
        cluster.stop()
        standalone.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
