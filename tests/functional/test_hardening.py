"""Hardening (issue 10): bounded state for unknown ids, exact live state, hoarding limits,
held-hold listing, gzip, one server per port and per data directory, auth limits."""
import concurrent.futures
import datetime
import gzip
import json
import os
import re
import socket
import subprocess
import threading
import time

import pytest
import requests
import websocket

from conftest import BIN, Server, assert_problem, embedded_only, free_port, login_admin, make_show, register


def retained(server):
    text = requests.get(server.url + "/metrics", timeout=5).text
    return {m.group(1): float(m.group(2)) for m in re.finditer(r'^boxoffice_retained\{part="([^"]+)"\} (\S+)$', text, re.M)}


@pytest.fixture(scope="module")
def short():
    s = Server(env={"BOXOFFICE_HOLD_TTL": "1s", "BOXOFFICE_MAX_HELD_SEATS_PER_USER": "4"}).start()
    yield s
    s.cleanup()


def test_unknown_ids_create_no_state(server, admin):
    user = register(server.url)
    before = retained(server)
    for n in range(300):
        show = 10_000_000 + n
        r = user.delete(f"/api/v1/holds/h{show}.AAAAAAAAAAAAAAAAAAAAAA")
        assert_problem(r, 404, "not-found")
        r = requests.get(f"{server.url}/api/v1/shows/{show}/seats", timeout=5)
        assert_problem(r, 404, "not-found")
        r = user.post("/api/v1/bookings", {"hold_id": f"h{show}.AAAAAAAAAAAAAAAAAAAAAA"})
        assert_problem(r, 404)
    after = retained(server)
    # The in-process registry's shows, or with Redis the shows this instance subscribes to.
    for part in ("hold_registry_shows", "redis_watched_shows", "seat_view_bytes"):
        assert after.get(part) == before.get(part), (part, before, after)
    assert "hold_registry_shows" in before or "redis_watched_shows" in before, before
    assert after["show_infos"] <= before["show_infos"], (before, after)


def test_seat_view_is_one_entry_per_show(server, admin):
    """300 changes of one show keep one cached seat map, not 300 generations."""
    show = make_show(admin, rows=[{"row": r, "seats": 20, "category": "standard"} for r in "ABCDEFGHIJ"])
    user = register(server.url)
    requests.get(f"{server.url}/api/v1/shows/{show['id']}/seats", timeout=5)
    one = retained(server)["seat_view_bytes"]
    for i in range(150):
        h = user.post(f"/api/v1/shows/{show['id']}/holds", {"seats": [f"A{i % 20 + 1}"]})
        assert h.status_code == 201, h.text
        assert requests.get(f"{server.url}/api/v1/shows/{show['id']}/seats", timeout=5).status_code == 200
        assert user.delete(f"/api/v1/holds/{h.json()['hold_id']}").status_code == 204
        assert requests.get(f"{server.url}/api/v1/shows/{show['id']}/seats", timeout=5).status_code == 200
    assert retained(server)["seat_view_bytes"] <= one * 1.5 + 4096


def test_hold_limit_across_holds(short):
    admin = login_admin(short.url)
    show = make_show(admin)
    user = register(short.url)
    assert user.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A1", "A2", "A3"]}).status_code == 201
    r = user.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A4", "A5"]})
    body = assert_problem(r, 409, "hold-limit")
    assert "4" in body["detail"]
    # Nothing of the refused hold is held; another user is not affected.
    seats = {s["id"]: s["status"] for s in requests.get(f"{short.url}/api/v1/shows/{show['id']}/seats").json()["seats"]}
    assert seats["A4"] == "available" and seats["A5"] == "available"
    assert register(short.url).post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A4", "A5"]}).status_code == 201
    assert user.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A6"]}).status_code == 201
    # After expiry the allowance is back.
    time.sleep(1.3)
    assert user.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A7", "A8", "A9", "A10"]}).status_code == 201


def test_list_my_holds(server, admin):
    show = make_show(admin)
    user, other = register(server.url), register(server.url)
    assert user.get("/api/v1/holds").json() == {"items": []}
    h = user.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["B1", "B2"]}).json()
    other.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["B3"]})
    items = user.get("/api/v1/holds").json()["items"]
    assert items == [h]
    assert user.delete(f"/api/v1/holds/{h['hold_id']}").status_code == 204
    assert user.get("/api/v1/holds").json() == {"items": []}
    r = requests.get(server.url + "/api/v1/holds", timeout=5)
    assert_problem(r, 401)
    assert r.headers["WWW-Authenticate"] == "Bearer"


def test_expiry_found_by_a_late_confirm_reaches_watchers(short):
    """The user clicks Confirm just as the countdown ends: watchers still see the seats free."""
    admin = login_admin(short.url)
    show = make_show(admin)
    for attempt in range(5):
        user = register(short.url)
        ws = websocket.create_connection(f"ws://127.0.0.1:{short.port}/api/v1/shows/{show['id']}/live", timeout=5)
        assert json.loads(ws.recv())["type"] == "snapshot"
        seat = f"A{attempt + 1}"
        h = user.post(f"/api/v1/shows/{show['id']}/holds", {"seats": [seat]}).json()
        expires = datetime.datetime.fromisoformat(h["expires_at"].replace("Z", "+00:00")).timestamp()
        time.sleep(max(0, expires - time.time() + 0.005))
        r = user.post("/api/v1/bookings", {"hold_id": h["hold_id"]})
        assert_problem(r, 409, "hold-expired")
        statuses = []
        deadline = time.time() + 2
        while time.time() < deadline and (seat, "available") not in statuses:
            ws.settimeout(max(0.05, deadline - time.time()))
            try:
                msg = json.loads(ws.recv())
            except websocket.WebSocketTimeoutException:
                break
            statuses += [(c["seat"], c["status"]) for c in msg["changes"]]
        ws.close()
        assert (seat, "available") in statuses, statuses
        seats = {s["id"]: s["status"] for s in requests.get(f"{short.url}/api/v1/shows/{show['id']}/seats").json()["seats"]}
        assert seats[seat] == "available"


def test_seat_map_gzip(server, admin):
    show = make_show(admin, rows=[{"row": r, "seats": 20, "category": "standard"} for r in "ABCD"])
    url = f"{server.url}/api/v1/shows/{show['id']}/seats"
    plain = requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=5)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    assert plain.headers["Vary"] == "Accept-Encoding"
    raw = requests.get(url, headers={"Accept-Encoding": "gzip"}, timeout=5, stream=True)
    assert raw.headers["Content-Encoding"] == "gzip"
    body = raw.raw.read()
    assert len(body) < len(plain.content) / 3
    assert json.loads(gzip.decompress(body)) == plain.json()
    refused = requests.get(url, headers={"Accept-Encoding": "gzip;q=0, identity"}, timeout=5)
    assert "Content-Encoding" not in refused.headers
    explicit = requests.get(url, headers={"Accept-Encoding": "*;q=0, gzip"}, timeout=5, stream=True)
    assert explicit.headers["Content-Encoding"] == "gzip"
    # Each representation has its own tag; a revalidation gets the tag of what it would receive,
    # and Vary as on the 200.
    assert raw.headers["ETag"] != plain.headers["ETag"] and raw.headers["ETag"].endswith('-gz"')
    for tag, enc in ((plain.headers["ETag"], "identity"), (raw.headers["ETag"], "gzip")):
        nm = requests.get(url, headers={"If-None-Match": tag, "Accept-Encoding": enc}, timeout=5)
        assert nm.status_code == 304, (tag, enc)
        assert nm.headers["Vary"] == "Accept-Encoding"
        assert nm.headers["ETag"] == tag
    # Other JSON bodies over 1 KiB are compressed too (cached lists once per page).
    for _ in range(5):
        make_show(admin)
    r = requests.get(f"{server.url}/api/v1/shows?limit=200", headers={"Accept-Encoding": "identity"}, timeout=5)
    assert len(r.content) >= 1024, "the test needs a list over 1 KiB"
    z = requests.get(f"{server.url}/api/v1/shows?limit=200", headers={"Accept-Encoding": "gzip"}, timeout=5, stream=True)
    assert z.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(z.raw.read())) == r.json()


def test_no_new_watchers_while_draining():
    """A WebSocket upgrade that arrives during the drain is refused (503): the hub has already
    told every watcher to go, and a new one would only hold the drain up."""
    s = Server(env={"BOXOFFICE_SHUTDOWN_TIMEOUT": "5s"}).start()
    try:
        admin = login_admin(s.url)
        show = make_show(admin)
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        # Half a request: the connection is busy, so the shutdown waits for it.
        sock.sendall(f"GET /api/v1/shows/{show['id']}/live HTTP/1.1\r\nHost: x\r\n".encode())
        time.sleep(0.3)
        s.proc.send_signal(15)
        time.sleep(0.5)
        sock.sendall(b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                     b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
        head = sock.recv(4096).split(b"\r\n")[0]
        assert b" 503 " in head, head
        sock.close()
        assert s.proc.wait(timeout=10) == 0
    finally:
        s.cleanup()


def test_second_server_on_the_same_port_fails(server):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    r = subprocess.run([BIN, "serve", "--listen", f"127.0.0.1:{server.port}", "--data-dir", "/tmp/boxoffice-other-" + str(os.getpid())],
                       env=env, capture_output=True, text=True, timeout=20)
    assert r.returncode != 0
    assert "BOXOFFICE_LISTEN" in r.stderr and "in use" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert requests.get(server.url + "/healthz", timeout=5).status_code == 200


@embedded_only  # the embedded store's lock file in the data directory
def test_second_server_on_the_same_data_dir_fails(server):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    r = subprocess.run([BIN, "serve", "--listen", f"127.0.0.1:{free_port()}", "--data-dir", server.data_dir],
                       env=env, capture_output=True, text=True, timeout=20)
    assert r.returncode != 0
    assert "BOXOFFICE_DATA_DIR" in r.stderr and "in use" in r.stderr, r.stderr
    assert requests.get(server.url + "/healthz", timeout=5).status_code == 200


def test_sign_in_has_its_own_limit_per_client_and_account():
    s = Server(env={"BOXOFFICE_AUTH_RATE_LIMIT_PER_MIN": "3"}).start()
    try:
        creds = {"email": "limit@example.com", "password": "password123", "name": "L"}
        assert requests.post(s.url + "/api/v1/users", json=creds, timeout=10).status_code == 201
        codes = [requests.post(s.url + "/api/v1/sessions", json=creds, timeout=10) for _ in range(3)]
        assert [c.status_code for c in codes[:2]] == [201, 201]
        r = codes[2]
        assert_problem(r, 429, "rate-limited")
        assert int(r.headers["Retry-After"]) >= 1
        # Other API calls from the same client are not affected.
        assert requests.get(s.url + "/api/v1/movies", timeout=5).status_code == 200
    finally:
        s.cleanup()


def test_client_ip_uses_every_forwarded_for_line():
    s = Server(env={"BOXOFFICE_TRUSTED_PROXIES": "127.0.0.1/32,10.0.0.0/8"}).start()
    try:
        with socket.create_connection(("127.0.0.1", s.port), timeout=5) as c:
            c.sendall(b"GET /api/v1/movies HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.7\r\n"
                      b"X-Forwarded-For: 198.51.100.9, 10.1.1.1\r\nConnection: close\r\nX-Request-Id: xff-check\r\n\r\n")
            assert b" 200 " in c.recv(65536).split(b"\r\n")[0]
        time.sleep(0.3)
        line = next(l for l in s.read_log().splitlines() if '"xff-check"' in l)
        assert json.loads(line)["client_ip"] == "198.51.100.9"
    finally:
        s.cleanup()


def test_shutdown_with_work_queued_is_clean():
    """SIGTERM with no drain time while confirmations are queued: exit 0, no sanitizer report."""
    s = Server(env={"BOXOFFICE_SHUTDOWN_TIMEOUT": "0ms"}).start()
    admin = login_admin(s.url)
    show = make_show(admin, rows=[{"row": "A", "seats": 60, "category": "standard"}])
    users = [register(s.url) for _ in range(6)]
    holds = []
    for i, u in enumerate(users):
        for k in range(10):
            h = u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": [f"A{i * 10 + k + 1}"]})
            if h.status_code == 201:
                holds.append((u, h.json()["hold_id"]))

    def confirm(u, hold_id):
        try:
            u.post("/api/v1/bookings", {"hold_id": hold_id})
        except requests.RequestException:
            pass

    threads = [threading.Thread(target=confirm, args=h) for h in holds]
    for t in threads:
        t.start()
    s.proc.send_signal(15)
    code = s.proc.wait(timeout=20)
    for t in threads:
        t.join()
    log = s.read_log()
    s.cleanup()
    assert code == 0, log[-3000:]
    assert "AddressSanitizer" not in log and "runtime error" not in log, log[-3000:]


def test_a_seat_map_past_its_ttl_is_built_once_not_on_every_read():
    """An unchanged show's cached map that outlived its TTL is rebuilt by one read; the reads
    after it are cache hits again (a rebuild of the same version used to be thrown away, so
    every later read rebuilt the map)."""
    s = Server(env={"BOXOFFICE_CACHE_TTL_SEATS": "1s"}).start()
    try:
        show = make_show(login_admin(s.url))

        def misses():
            text = requests.get(s.url + "/metrics", timeout=5).text
            return float(re.search(r'^boxoffice_cache_misses_total\{cache="seat_map"\} (\S+)$', text, re.M).group(1))

        url = f"{s.url}/api/v1/shows/{show['id']}/seats"
        assert requests.get(url, timeout=5).status_code == 200
        time.sleep(1.3)
        before = misses()
        for _ in range(20):
            assert requests.get(url, timeout=5).status_code == 200
        assert misses() - before == 1
    finally:
        s.cleanup()


def test_a_show_past_its_ttl_is_reloaded_by_one_request_while_the_others_use_it():
    """When a show's cached info (its hall's layout) outlives its TTL, one request reloads it and
    the requests meanwhile use the old one: every request for an on-sale show used to reload a
    20,000-seat hall at once, every 30 s."""
    s = Server(env={"BOXOFFICE_CACHE_TTL_SHOWS": "1s"}).start()
    try:
        labels = [a + b for a in "ABCD" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"][:100]
        rows = [{"row": label, "seats": 200, "category": "standard"} for label in labels]
        show = make_show(login_admin(s.url), rows=rows)

        def misses():
            text = requests.get(s.url + "/metrics", timeout=5).text
            return float(re.search(r'^boxoffice_cache_misses_total\{cache="show_info"\} (\S+)$', text, re.M).group(1))

        url = f"{s.url}/api/v1/shows/{show['id']}/seats"
        assert requests.get(url, timeout=10).status_code == 200
        # Connected before the TTL ends, so that the reads go out together after it.
        sessions = [requests.Session() for _ in range(32)]
        for session in sessions:
            assert session.get(s.url + "/readyz", timeout=5).status_code == 200
        time.sleep(1.3)
        before = misses()
        start = threading.Barrier(len(sessions))

        def read(session):
            start.wait()
            return session.get(url, timeout=30).status_code

        with concurrent.futures.ThreadPoolExecutor(len(sessions)) as pool:
            codes = list(pool.map(read, sessions))
        assert codes == [200] * len(sessions)
        assert misses() - before == 1
    finally:
        s.cleanup()
