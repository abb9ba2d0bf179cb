#!/usr/bin/python3
"""Runs a command with a throwaway PostgreSQL cluster (pg_cluster.py) and one fresh database:

    with_postgres.py -- build/release/pg_tests --gtest_filter=...

The command sees
    BOXOFFICE_TEST_PG_COMMAND_URL  the database on the primary, through its PgBouncer
    BOXOFFICE_TEST_PG_QUERY_URL    the same database on the replica, through its PgBouncer
    BOXOFFICE_TEST_PG_DIRECT_URL   the database on the primary, no bouncer
and its exit status is ours (128 + n if signal n ended it). The cluster is stopped afterwards."""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pg_cluster import PgCluster  # noqa: E402


def main(argv):
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        print(f"usage: {os.path.basename(argv[0])} -- <command> [args...]", file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1:]
    child = None

    def terminated(*_):
        # A SIGTERM (a CI cancel) is passed on to the command and unwinds through the finally
        # below, which stops the cluster. (A SIGKILL is the cluster's watchdog's business.)
        if child and child.poll() is None:
            child.terminate()
            child.wait()
        sys.exit(128 + signal.SIGTERM)
    signal.signal(signal.SIGTERM, terminated)
    started = time.time()
    cluster = PgCluster().start()
    try:
        db = cluster.create_database()
        print(f"with_postgres: cluster up and database {db} created in {time.time() - started:.1f}s",
              file=sys.stderr, flush=True)
        env = dict(os.environ,
                   BOXOFFICE_TEST_PG_COMMAND_URL=cluster.command_url(db),
                   BOXOFFICE_TEST_PG_QUERY_URL=cluster.query_url(db),
                   BOXOFFICE_TEST_PG_DIRECT_URL=cluster.direct_primary_url(db))
        try:
            child = subprocess.Popen(command, env=env)
        except OSError as e:
            print(f"with_postgres: cannot run {command[0]}: {e}", file=sys.stderr)
            return 127
        code = child.wait()
        return 128 - code if code < 0 else code
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
