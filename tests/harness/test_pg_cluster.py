"""Checks of the PostgreSQL test cluster itself (pg_cluster.py), run on demand:

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/harness/test_pg_cluster.py
"""
import os
import subprocess
import time

import pytest

from pg_cluster import PSQL, PgCluster, PgClusterError, _start_time


def client(url, sql):
    """psql as a client of a URL (a bouncer or a server), as the server under test would be."""
    r = subprocess.run([PSQL, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.fixture(scope="module")
def cluster():
    c = PgCluster().start()
    print(f"cluster up in {c.startup_seconds:.1f}s")
    yield c
    c.stop()


def test_each_url_reaches_its_server(cluster):
    db = cluster.create_database()
    assert client(cluster.command_url(db), "SELECT pg_is_in_recovery()") == "f"
    assert client(cluster.direct_primary_url(db), "SELECT pg_is_in_recovery()") == "f"
    assert client(cluster.query_url(db), "SELECT pg_is_in_recovery()") == "t"
    assert client(cluster.direct_replica_url(db), "SELECT pg_is_in_recovery()") == "t"
    assert client(cluster.command_url(db), "SELECT current_user || ' ' || current_database()") == f"boxoffice {db}"
    settings = client(cluster.direct_primary_url(db), "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings "
                      "WHERE name IN ('fsync', 'synchronous_commit', 'wal_level', 'listen_addresses')")
    assert settings == "fsync=on listen_addresses=127.0.0.1 synchronous_commit=on wal_level=replica"


def test_what_the_primary_commits_the_replica_serves(cluster):
    db = cluster.create_database()
    client(cluster.command_url(db), "CREATE EXTENSION btree_gist; CREATE TABLE t (x int); INSERT INTO t VALUES (42)")
    deadline = time.time() + 10
    while client(cluster.query_url(db), "SELECT count(*) FROM pg_tables WHERE tablename = 't'") != "1":
        assert time.time() < deadline, "the table never reached the replica"
        time.sleep(0.05)
    assert client(cluster.query_url(db), "SELECT x FROM t") == "42"
    r = subprocess.run([PSQL, "-X", "-d", cluster.query_url(db), "-c", "INSERT INTO t VALUES (1)"], capture_output=True, text=True)
    assert "read-only transaction" in r.stderr


def test_databases_are_separate_and_can_be_dropped(cluster):
    a, b = cluster.create_database(), cluster.create_database()
    assert a != b
    client(cluster.command_url(a), "CREATE TABLE only_in_a (x int)")
    assert client(cluster.command_url(b), "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'") == "0"
    assert cluster.database_exists(a)
    cluster.drop_database(a)
    assert not cluster.database_exists(a)
    with pytest.raises(ValueError):
        cluster.create_database("no; DROP DATABASE x")


def test_primary_stops_and_starts_while_the_rest_stays_up(cluster):
    db = cluster.create_database()
    client(cluster.command_url(db), "CREATE TABLE t AS SELECT 1 AS x")
    cluster.stop_primary()
    with pytest.raises(PgClusterError):
        cluster.psql(db, "SELECT 1")
    # The replica and its bouncer keep serving what they have.
    assert client(cluster.query_url(db), "SELECT x FROM t") == "1"
    cluster.start_primary()
    deadline = time.time() + 10
    while True:  # the bouncer may need a second (server_login_retry) to try the primary again
        r = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-d", cluster.command_url(db), "-c", "INSERT INTO t VALUES (2) RETURNING x"],
                           capture_output=True, text=True, timeout=30)
        if r.returncode == 0:
            break
        assert time.time() < deadline, r.stderr
        time.sleep(0.2)
    assert r.stdout.strip() == "2"
    assert "streaming" in cluster.psql("postgres", "SELECT state FROM pg_stat_replication")


def test_stop_leaves_nothing_behind():
    c = PgCluster().start()
    pids = [int(open(os.path.join(c.base, name, "postmaster.pid")).readline()) for name in ("primary", "replica")]
    pids += [p.pid for p in c.bouncers.values()]
    assert all(_start_time(p) for p in pids)
    c.stop()
    assert not os.path.exists(c.base)
    assert not [p for p in pids if _start_time(p)]


def test_a_killed_owner_leaves_nothing_behind(tmp_path):
    """The watchdog cleans up after a process that started a cluster and was SIGKILLed."""
    script = tmp_path / "owner.py"
    script.write_text("import os, sys\n"
                      f"sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})\n"
                      "from pg_cluster import PgCluster\n"
                      "c = PgCluster().start()\n"
                      "print(c.base, open(os.path.join(c.base, 'primary', 'postmaster.pid')).readline().strip(), flush=True)\n"
                      "os.kill(os.getpid(), 9)\n")
    r = subprocess.run(["/usr/bin/python3", str(script)], capture_output=True, text=True, timeout=120)
    base, pid = r.stdout.split()
    deadline = time.time() + 15
    while os.path.exists(base) or _start_time(int(pid)):
        assert time.time() < deadline, "the watchdog did not clean up"
        time.sleep(0.2)
