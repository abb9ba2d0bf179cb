"""The PostgreSQL backend (BOXOFFICE_TEST_BACKEND=postgres): the session's cluster (primary,
streaming replica, a PgBouncer in front of each; tests/harness/pg_cluster.py) and a server on it."""
import concurrent.futures
import os
import signal
import subprocess
import time
import uuid

import pytest
import requests

from boxoffice_harness import backend
from conftest import BACKEND, BIN, Server, assert_problem, login_admin, make_show, register

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


# ---- the PostgreSQL rules, each against the real cluster ----


def same_database(server, **extra):
    """A second instance on `server`'s database (its own data dir, so its own in-process holds:
    nothing but the database stands between the two)."""
    env = dict(backend.server_env(server.data_dir))
    env.update(extra)
    return Server(env=env)


def test_the_database_is_the_final_judge_between_two_instances():
    a = Server().start()
    b = same_database(a).start()
    try:
        show = make_show(login_admin(a.url), rows=[{"row": "A", "seats": 10, "category": "standard"}])
        for seat in ("A1", "A2", "A3", "A4", "A5"):
            on_a, on_b = register(a.url), register(b.url)
            # Each instance's holds are its own: both holds succeed.
            ha = on_a.post(f"/api/v1/shows/{show['id']}/holds", {"seats": [seat]})
            hb = on_b.post(f"/api/v1/shows/{show['id']}/holds", {"seats": [seat]})
            assert ha.status_code == 201 and hb.status_code == 201, (ha.text, hb.text)
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                fa = pool.submit(on_a.post, "/api/v1/bookings", {"hold_id": ha.json()["hold_id"]})
                fb = pool.submit(on_b.post, "/api/v1/bookings", {"hold_id": hb.json()["hold_id"]})
                results = sorted([fa.result(), fb.result()], key=lambda r: r.status_code)
            assert results[0].status_code == 201, results[0].text
            body = assert_problem(results[1], 409, "seat-unavailable")
            assert body["seats"] == [seat]
        # Five bookings, five seats, no seat twice.
        booked = [s for s in requests.get(f"{a.url}/api/v1/shows/{show['id']}/seats").json()["seats"] if s["status"] == "booked"]
        assert sorted(s["id"] for s in booked) == ["A1", "A2", "A3", "A4", "A5"]
    finally:
        b.cleanup()
        a.cleanup()


def test_a_catalog_write_is_read_back_at_once(server):
    admin = login_admin(server.url)
    for _ in range(5):
        m = admin.post("/api/v1/movies", {"title": "Fresh " + uuid.uuid4().hex[:6], "description": "d",
                                          "duration_minutes": 90, "rating": "PG", "genres": ["drama"]})
        assert m.status_code == 201, m.text
        mid = m.json()["id"]
        assert requests.get(f"{server.url}/api/v1/movies/{mid}").json()["title"] == m.json()["title"]
        listed = requests.get(f"{server.url}/api/v1/movies?limit=100").json()["items"]
        assert mid in [x["id"] for x in listed]
    show = make_show(admin)
    shows = requests.get(f"{server.url}/api/v1/shows?limit=100").json()["items"]
    assert show["id"] in [s["id"] for s in shows]


def test_two_instances_migrating_at_once_apply_each_version_once(pg_cluster):
    db = pg_cluster.create_database()
    url = pg_cluster.command_url(db)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    procs = [subprocess.Popen([BIN, "migrate", "--command-db-url", url], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    applied = sorted(int(out.strip().rsplit(" ", 1)[1]) for out, _ in outs)
    assert applied == [0, 0, 6], outs
    versions = pg_cluster.psql(db, "SELECT version FROM schema_migrations ORDER BY version").split()
    assert versions == ["1", "2", "3", "4", "5", "6"]
    pg_cluster.drop_database(db)


def test_kill_9_right_after_201s_loses_nothing():
    s = Server().start()
    try:
        show = make_show(login_admin(s.url), rows=[{"row": "A", "seats": 30, "category": "standard"}])
        users = [register(s.url) for _ in range(10)]

        def book(i):
            u = users[i % len(users)]
            h = u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": [f"A{i + 1}"]})
            assert h.status_code == 201, h.text
            b = u.post("/api/v1/bookings", {"hold_id": h.json()["hold_id"]})
            assert b.status_code == 201, b.text
            return u, b.json()

        with concurrent.futures.ThreadPoolExecutor(10) as pool:
            booked = list(pool.map(book, range(30)))
        s.stop(sig=signal.SIGKILL)  # no drain, no clean shutdown
        s.start()
        for u, b in booked:
            r = u.get(f"/api/v1/bookings/{b['id']}")
            assert r.status_code == 200 and r.json()["status"] == "confirmed" and r.json()["seats"] == b["seats"]
        seats = requests.get(f"{s.url}/api/v1/shows/{show['id']}/seats").json()["seats"]
        assert all(x["status"] == "booked" for x in seats)
    finally:
        s.cleanup()


def test_command_db_stopped_and_restarted_mid_traffic(pg_cluster):
    s = Server(env={"BOXOFFICE_DB_QUERY_TIMEOUT": "2s", "BOXOFFICE_DB_ACQUIRE_TIMEOUT": "1s"}).start()
    user = register(s.url)
    pid = s.proc.pid
    try:
        assert user.get("/api/v1/bookings").status_code == 200
        pg_cluster.stop_primary()
        try:
            # Requests that need the command DB fail with 503 problem+json within a bounded time.
            for _ in range(3):
                started = time.time()
                r = user.get("/api/v1/bookings")
                assert time.time() - started < 6, "a request hung"
                assert_problem(r, 503)
            started = time.time()
            r = requests.get(s.url + "/readyz", timeout=15)
            assert time.time() - started < 10
            assert r.status_code == 503 and r.json()["checks"]["command_db"] != "ok", r.text
            assert r.json()["checks"]["query_db"] == "ok"
        finally:
            pg_cluster.start_primary()
        # Back by itself, same process.
        deadline = time.time() + 30
        while time.time() < deadline:
            if requests.get(s.url + "/readyz", timeout=15).status_code == 200 and user.get("/api/v1/bookings").status_code == 200:
                break
            time.sleep(0.5)
        else:
            raise AssertionError("the instance did not recover: " + s.read_log()[-2000:])
        assert s.proc.pid == pid and s.proc.poll() is None
        assert register(s.url).token
    finally:
        s.cleanup()


def test_query_db_down_lists_fall_back_to_the_command_db(pg_cluster):
    s = Server(env={"BOXOFFICE_DB_QUERY_TIMEOUT": "2s", "BOXOFFICE_CACHE_TTL_MOVIES": "100ms"}).start()
    try:
        admin = login_admin(s.url)
        m = admin.post("/api/v1/movies", {"title": "Replica test", "description": "d", "duration_minutes": 90,
                                          "rating": "PG", "genres": ["drama"]})
        assert m.status_code == 201
        time.sleep(5.5)  # past this instance's read-your-writes window: lists go to the replica
        pg_cluster._pg_ctl("replica", "stop", "-m", "fast")
        try:
            for _ in range(3):
                started = time.time()
                r = requests.get(f"{s.url}/api/v1/movies?limit=100", timeout=15)
                assert r.status_code == 200, r.text
                assert m.json()["id"] in [x["id"] for x in r.json()["items"]]
                assert time.time() - started < 5
                time.sleep(0.2)
            ready = requests.get(s.url + "/readyz", timeout=15)
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"]["command_db"] == "ok"
            assert ready.json()["checks"]["query_db"] != "ok"
            metrics = requests.get(s.url + "/metrics", timeout=5).text
            assert 'boxoffice_db_reachable{db="query"} 0' in metrics
        finally:
            pg_cluster._start_pg("replica")
            pg_cluster.wait_streaming()
        deadline = time.time() + 30
        while requests.get(s.url + "/readyz", timeout=15).json()["checks"]["query_db"] != "ok":
            assert time.time() < deadline, "the query DB did not come back"
            time.sleep(0.5)
    finally:
        s.cleanup()
