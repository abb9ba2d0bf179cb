"""Many instances, one truth (BOXOFFICE_TEST_BACKEND=postgres-redis or postgres-redis-cluster):
three boxoffice processes on one PostgreSQL database and one Redis namespace behave as one
server."""
import concurrent.futures
import json
import random
import signal
import threading
import time

import pytest
import requests
import websocket

from boxoffice_harness import backend
from conftest import BACKEND, Client, Server, assert_problem, login_admin, make_show, register

pytestmark = pytest.mark.skipif("redis" not in BACKEND, reason=f"needs Redis; backend is {BACKEND}")


def sibling(first, **extra):
    """Another instance of `first`'s deployment: same database, same Redis namespace."""
    env = dict(backend.server_env(first.data_dir))
    env.update(extra)
    return Server(env=env)


@pytest.fixture(scope="module")
def trio():
    a = Server(env={"BOXOFFICE_HOLD_TTL": "2s"}).start()
    b = sibling(a, BOXOFFICE_HOLD_TTL="2s").start()
    c = sibling(a, BOXOFFICE_HOLD_TTL="2s").start()
    yield a, b, c
    for s in (c, b, a):
        s.cleanup()


def as_user_on(user, server):
    """The same signed-in user, talking to another instance."""
    other = Client(server.url, user.token)
    other.user = user.user
    return other


def seats_of(server, show_id):
    return {s["id"]: s["status"] for s in requests.get(f"{server.url}/api/v1/shows/{show_id}/seats", timeout=5).json()["seats"]}


def test_a_session_from_one_instance_works_on_all_and_sign_out_is_seen_by_all(trio):
    a, b, c = trio
    user = register(a.url)
    for s in (b, c):
        assert as_user_on(user, s).get("/api/v1/users/me").json()["id"] == user.user["id"]
    assert user.delete("/api/v1/sessions/current").status_code == 204
    for s in (a, b, c):
        assert_problem(as_user_on(user, s).get("/api/v1/users/me"), 401)


def test_a_sign_out_racing_with_requests_on_other_instances_stays_signed_out(trio):
    """Requests on B and C that miss the session cache read the session from the database; one
    that read it just before A's sign-out deleted it must not put it back into Redis."""
    a, b, c = trio
    for _ in range(4):
        user = register(a.url)
        stop = threading.Event()

        def hammer(server):
            other = as_user_on(user, server)
            while not stop.is_set():
                other.get("/api/v1/users/me")

        threads = [threading.Thread(target=hammer, args=(s,)) for s in (b, c, b, c)]
        for t in threads:
            t.start()
        time.sleep(0.2)
        assert user.delete("/api/v1/sessions/current").status_code == 204
        time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join()
        # Every request after the sign-out and its stragglers is refused, on every instance.
        for _ in range(5):
            for s in (a, b, c):
                assert_problem(as_user_on(user, s).get("/api/v1/users/me"), 401)


@pytest.mark.skipif(BACKEND != "postgres-redis", reason="restarts a standalone Redis")
def test_a_standalone_redis_restarting_empty_costs_only_the_holds_in_flight():
    from redis_cluster import RedisStandalone
    redis = RedisStandalone().start()
    a = Server(env={"BOXOFFICE_REDIS_URL": redis.url}).start()
    b = sibling(a, BOXOFFICE_REDIS_URL=redis.url).start()
    try:
        show = make_show(login_admin(a.url))
        ann, bob = register(a.url), register(b.url)
        h = ann.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A1", "A2"]})
        booking = ann.post("/api/v1/bookings", {"hold_id": h.json()["hold_id"]})
        assert booking.status_code == 201, booking.text
        in_flight = bob.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A3"]})
        assert in_flight.status_code == 201, in_flight.text
        assert seats_of(b, show["id"])["A3"] == "held"

        port = redis.node.port
        redis.node.stop()  # SIGKILL: no save, no persistence; it comes back empty
        redis.node.start()
        from redis_cluster import command
        assert command(port, "DBSIZE") == 0

        def ready(server):
            try:
                return requests.get(f"{server.url}/readyz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        deadline = time.time() + 15
        while time.time() < deadline and not (ready(a) and ready(b)):
            time.sleep(0.2)
        assert ready(a) and ready(b)
        # Sessions come from the database; the confirmed booking is there on both instances.
        for s in (a, b):
            for u in (ann, bob):
                assert as_user_on(u, s).get("/api/v1/users/me").status_code == 200
            r = as_user_on(ann, s).get(f"/api/v1/bookings/{booking.json()['id']}")
            assert r.status_code == 200 and r.json()["status"] == "confirmed"
        # The hold in flight is gone: confirming it fails cleanly, its seat is free again.
        r = bob.post("/api/v1/bookings", {"hold_id": in_flight.json()["hold_id"]})
        assert r.status_code in (404, 409), r.text
        # The booked seats are still booked (the mirror is primed from the database again)...
        for s in (a, b):
            assert_problem(as_user_on(bob, s).post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A2"]}),
                           409, "seat-unavailable")
            states = seats_of(s, show["id"])
            assert states["A1"] == states["A2"] == "booked"
        # ... and the others can be held and booked again.
        again = as_user_on(bob, a).post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A3"]})
        assert again.status_code == 201, again.text
        assert as_user_on(bob, b).post("/api/v1/bookings", {"hold_id": again.json()["hold_id"]}).status_code == 201
        for s in (a, b):
            assert seats_of(s, show["id"])["A3"] == "booked"
    finally:
        b.cleanup()
        a.cleanup()
        redis.stop()


def test_a_hold_on_one_instance_holds_on_all_and_another_confirms_it(trio):
    a, b, c = trio
    show = make_show(login_admin(a.url))
    ann, bob = register(a.url), register(b.url)
    h = ann.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A1", "A2"]})
    assert h.status_code == 201, h.text
    body = assert_problem(bob.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A2", "A3"]}), 409, "seat-unavailable")
    assert body["seats"] == ["A2"]
    assert seats_of(c, show["id"])["A1"] == "held"
    assert [x["hold_id"] for x in as_user_on(ann, c).get("/api/v1/holds").json()["items"]] == [h.json()["hold_id"]]
    booking = as_user_on(ann, b).post("/api/v1/bookings", {"hold_id": h.json()["hold_id"]})
    assert booking.status_code == 201, booking.text
    for s in (a, b, c):
        assert seats_of(s, show["id"])["A1"] == "booked"
    # Used: confirming it again anywhere is 409.
    assert_problem(as_user_on(ann, c).post("/api/v1/bookings", {"hold_id": h.json()["hold_id"]}), 409, "hold-expired")


def test_a_show_deleted_on_one_instance_is_refused_on_every_instance_within_a_second(trio):
    a, b, c = trio
    admin = login_admin(a.url)
    show = make_show(admin)
    user = register(b.url)
    # B and C have loaded the show (its seats, prices) for holds and seat maps.
    for s in (b, c):
        assert requests.get(f"{s.url}/api/v1/shows/{show['id']}/seats", timeout=5).status_code == 200
    assert admin.delete(f"/api/v1/movies/{show['movie_id']}").status_code == 204
    time.sleep(1.0)
    for s in (a, b, c):
        r = as_user_on(user, s).post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A1"]})
        assert r.status_code == 404, f"{'abc'[(a, b, c).index(s)]}: {r.status_code} {r.text}"
        assert requests.get(f"{s.url}/api/v1/shows/{show['id']}/seats", timeout=5).status_code == 404


def test_a_change_on_one_instance_reaches_a_websocket_on_another_in_order(trio):
    a, b, _ = trio
    show = make_show(login_admin(a.url))
    user = register(a.url)
    ws = websocket.create_connection(f"ws://127.0.0.1:{b.port}/api/v1/shows/{show['id']}/live", timeout=10)
    try:
        assert json.loads(ws.recv())["type"] == "snapshot"
        started = time.time()
        h = user.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["B1"]})
        assert h.status_code == 201
        assert user.delete(f"/api/v1/holds/{h.json()['hold_id']}").status_code == 204
        seen = []
        while len(seen) < 2:
            msg = json.loads(ws.recv())
            seen += [(c["seat"], c["status"]) for c in msg["changes"]]
        assert seen == [("B1", "held"), ("B1", "available")]
        assert time.time() - started < 1.0
    finally:
        ws.close()


def test_a_hold_made_on_an_instance_that_died_still_expires_and_watchers_hear_it():
    a = Server(env={"BOXOFFICE_HOLD_TTL": "2s"}).start()
    b = sibling(a, BOXOFFICE_HOLD_TTL="2s").start()
    try:
        show = make_show(login_admin(a.url))
        user = register(a.url)
        ws = websocket.create_connection(f"ws://127.0.0.1:{b.port}/api/v1/shows/{show['id']}/live", timeout=10)
        assert json.loads(ws.recv())["type"] == "snapshot"
        h = user.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["B3"]})
        assert h.status_code == 201
        expires = time.time() + 2
        a.stop(sig=signal.SIGKILL)
        seen = []
        while ("B3", "available") not in seen:
            msg = json.loads(ws.recv())
            seen += [(c["seat"], c["status"]) for c in msg["changes"]]
        assert time.time() - expires < 1.0, "the expiry reached the watcher late"
        ws.close()
        assert seats_of(b, show["id"])["B3"] == "available"
    finally:
        b.cleanup()
        a.cleanup()


def test_clients_racing_over_three_instances_never_double_book(trio):
    servers = trio
    admin = login_admin(servers[0].url)
    users = [register(servers[i % 3].url) for i in range(96)]
    for round_no in range(4):
        show = make_show(admin, rows=[{"row": "A", "seats": 12, "category": "standard"}])
        seat_ids = [f"A{i}" for i in range(1, 13)]
        confirmed, errors = [], []
        lock = threading.Lock()
        barrier = threading.Barrier(len(users))

        def play(i, u):
            try:
                rng = random.Random(round_no * 1000 + i)
                me = as_user_on(u, servers[i % 3])
                barrier.wait()
                for _ in range(3):
                    seats = rng.sample(seat_ids, rng.randint(1, 2))
                    h = me.post(f"/api/v1/shows/{show['id']}/holds", {"seats": seats})
                    if h.status_code != 201:
                        assert h.status_code == 409, h.text
                        continue
                    # Confirm on another instance than the one that held.
                    other = as_user_on(u, servers[(i + 1) % 3])
                    b = other.post("/api/v1/bookings", {"hold_id": h.json()["hold_id"]})
                    assert b.status_code in (201, 409), b.text
                    if b.status_code == 201:
                        with lock:
                            confirmed.append(b.json())
            except Exception as e:  # noqa: BLE001
                with lock:
                    errors.append(repr(e))

        with concurrent.futures.ThreadPoolExecutor(len(users)) as pool:
            list(pool.map(lambda p: play(*p), enumerate(users)))
        assert not errors, errors[:3]
        sold = [s for b in confirmed for s in b["seats"]]
        assert len(sold) == len(set(sold)), f"round {round_no}: a seat was sold twice: {sorted(sold)}"
        for s in servers:
            booked = {k for k, v in seats_of(s, show["id"]).items() if v == "booked"}
            assert booked == set(sold), (s.url, booked, sold)


def test_every_instance_restarted_keeps_every_booking():
    a = Server().start()
    b = sibling(a).start()
    try:
        show = make_show(login_admin(a.url))
        booked = []
        for i, s in enumerate((a, b, a, b)):
            u = register(s.url)
            h = u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": [f"A{i + 1}"]})
            bk = u.post("/api/v1/bookings", {"hold_id": h.json()["hold_id"]})
            assert bk.status_code == 201, bk.text
            booked.append((u, bk.json()))
        a.stop()
        b.stop()
        c = sibling(a).start()
        try:
            for u, bk in booked:
                r = as_user_on(u, c).get(f"/api/v1/bookings/{bk['id']}")
                assert r.status_code == 200 and r.json()["status"] == "confirmed"
            assert [seats_of(c, show["id"])[f"A{i}"] for i in range(1, 5)] == ["booked"] * 4
        finally:
            c.cleanup()
    finally:
        b.cleanup()
        a.cleanup()


def owner_of(cluster, key):
    """The master node (RedisNode) that serves `key`'s slot."""
    from redis_cluster import command
    port = cluster.ports[0]
    slot = command(port, "CLUSTER", "KEYSLOT", key)
    for line in command(port, "CLUSTER", "NODES").splitlines():
        fields = line.split()
        if "master" not in fields[2] or "fail" in fields[2]:
            continue
        node_port = int(fields[1].split("@")[0].rsplit(":", 1)[1])
        for part in fields[8:]:
            lo, _, hi = part.partition("-")
            if lo.isdigit() and int(lo) <= slot <= int(hi or lo):
                return next(n for n in cluster.nodes if n.port == node_port)
    raise AssertionError(f"no master serves slot {slot}")


@pytest.mark.skipif(BACKEND != "postgres-redis-cluster", reason="kills a Redis Cluster master")
def test_a_redis_master_killed_mid_race_loses_no_booking_and_sells_no_seat_twice(trio):
    servers = trio
    cluster = backend.redis()
    admin = login_admin(servers[0].url)
    show = make_show(admin, rows=[{"row": r, "seats": 20, "category": "standard"} for r in "ABCDEF"])
    seat_ids = [f"{r}{n}" for r in "ABCDEF" for n in range(1, 21)]
    namespace = backend.server_env(servers[0].data_dir)["BOXOFFICE_REDIS_NAMESPACE"]
    victim = owner_of(cluster, "{" + namespace + "s:" + str(show["id"]) + "}:held")
    users = [register(servers[i % 3].url) for i in range(48)]
    confirmed, statuses, errors = [], [], []
    lock = threading.Lock()
    stop_at = time.time() + 14

    def play(i, u):
        rng = random.Random(i)
        try:
            while time.time() < stop_at:
                me = as_user_on(u, servers[i % 3])
                h = me.post(f"/api/v1/shows/{show['id']}/holds", {"seats": rng.sample(seat_ids, 2)})
                with lock:
                    statuses.append(h.status_code)
                if h.status_code != 201:
                    assert h.status_code in (409, 503), h.text
                    time.sleep(0.05)
                    continue
                b = as_user_on(u, servers[(i + 1) % 3]).post("/api/v1/bookings", {"hold_id": h.json()["hold_id"]})
                with lock:
                    statuses.append(b.status_code)
                    if b.status_code == 201:
                        confirmed.append((u, b.json()))
                assert b.status_code in (201, 409, 503), b.text
        except Exception as e:  # noqa: BLE001
            with lock:
                errors.append(repr(e))

    threads = [threading.Thread(target=play, args=(i, u)) for i, u in enumerate(users)]
    for t in threads:
        t.start()
    time.sleep(3)
    victim.stop()  # SIGKILL
    try:
        for t in threads:
            t.join(timeout=60)
        assert not errors, errors[:3]
        assert statuses.count(201) > 0
        sold = [s for _, b in confirmed for s in b["seats"]]
        assert len(sold) == len(set(sold)), "a seat was sold twice"
        # No lost 201: every confirmed booking is in the database.
        for u, b in confirmed:
            r = as_user_on(u, servers[0]).get(f"/api/v1/bookings/{b['id']}")
            assert r.status_code == 200 and r.json()["status"] == "confirmed", r.text
        # After the failover, every instance is ready and takes holds again.
        deadline = time.time() + 30
        for s in servers:
            while requests.get(s.url + "/readyz", timeout=10).status_code != 200:
                assert time.time() < deadline, s.read_log()[-2000:]
                time.sleep(0.5)
        fresh = make_show(admin)
        for i, s in enumerate(servers):
            h = register(s.url).post(f"/api/v1/shows/{fresh['id']}/holds", {"seats": [f"A{i + 1}"]})
            assert h.status_code == 201, h.text
    finally:
        victim.start()  # back as a replica, so later tests have a whole cluster
        cluster.wait_healthy(60)


def test_the_rate_limit_is_one_budget_across_instances():
    """A client's requests count against one budget whichever instance they reach."""
    env = {"BOXOFFICE_RATE_LIMIT_PER_MIN": "20", "BOXOFFICE_TRUSTED_PROXIES": "127.0.0.1/32"}
    a = Server(env=env).start()
    b = sibling(a, **env).start()
    try:
        client = {"X-Forwarded-For": f"198.51.100.{random.randint(1, 254)}"}
        for i in range(20):
            r = requests.get((a, b)[i % 2].url + "/api/v1/movies", headers=client, timeout=5)
            assert r.status_code == 200, (i, r.text)
            assert r.headers["X-RateLimit-Remaining"] == str(19 - i)
        for s in (a, b, a, b):
            r = requests.get(s.url + "/api/v1/movies", headers=client, timeout=5)
            assert_problem(r, 429, "rate-limited")
            assert int(r.headers["Retry-After"]) >= 1
        other = {"X-Forwarded-For": f"203.0.113.{random.randint(1, 254)}"}
        assert requests.get(b.url + "/api/v1/movies", headers=other, timeout=5).headers["X-RateLimit-Remaining"] == "19"
    finally:
        b.cleanup()
        a.cleanup()
