"""The PostgreSQL backend (BOXOFFICE_TEST_BACKEND=postgres): the session's cluster (primary,
streaming replica, a PgBouncer in front of each; tests/harness/pg_cluster.py) and a server on it."""
import pytest
import requests

from conftest import BACKEND, Server

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason=f"PostgreSQL only; backend is {BACKEND}")


def test_replica_is_streaming(pg_cluster):
    assert pg_cluster.psql("postgres", "SELECT state FROM pg_stat_replication").split() == ["streaming"]


def test_server_on_postgres_is_ready():
    s = Server().start()
    try:
        r = requests.get(s.url + "/readyz", timeout=5)
        assert r.status_code == 200, r.text
    finally:
        s.cleanup()
