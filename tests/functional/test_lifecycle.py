import os
import signal
import subprocess
import threading
import time

import pytest
import requests

from conftest import BIN, Server, assert_problem, login_admin, make_show, register


def run_bin(*args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    e.update(env or {})
    return subprocess.run([BIN, *args], env=e, capture_output=True, text=True, timeout=30)


def test_bad_settings_stop_startup_naming_the_variable(tmp_path):
    cases = {
        "BOXOFFICE_HOLD_TTL": "banana",
        "BOXOFFICE_LISTEN": "127.0.0.1:70000",
        "BOXOFFICE_TRUSTED_PROXIES": "10.0.0.0/99",
        "BOXOFFICE_THREADS": "zero",
        "BOXOFFICE_RATE_LIMIT_PER_MIN": "-5",
    }
    for var, value in cases.items():
        r = run_bin("serve", env={var: value, "BOXOFFICE_DATA_DIR": str(tmp_path)})
        assert r.returncode != 0, var
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(var), (var, r.stderr)


def test_flags_override_environment(tmp_path):
    r = run_bin("serve", "--hold-ttl", "banana", env={"BOXOFFICE_HOLD_TTL": "10s", "BOXOFFICE_DATA_DIR": str(tmp_path)})
    assert r.returncode != 0 and r.stderr.startswith("BOXOFFICE_HOLD_TTL")


def test_unreachable_or_unavailable_backends_are_refused_loudly(tmp_path):
    # A command DB that cannot be reached stops start-up (it is migrated first) with one line.
    r = run_bin("serve", env={"BOXOFFICE_COMMAND_DB_URL": "postgresql://127.0.0.1/x", "BOXOFFICE_DATA_DIR": str(tmp_path)})
    assert r.returncode != 0 and r.stderr.startswith("BOXOFFICE_COMMAND_DB_URL")
    r = run_bin("serve", env={"BOXOFFICE_REDIS_URL": "redis://127.0.0.1:6379", "BOXOFFICE_DATA_DIR": str(tmp_path)})
    assert r.returncode != 0 and r.stderr.startswith("BOXOFFICE_REDIS_URL")


def test_version_help_and_migrate(tmp_path):
    assert run_bin("version").stdout.startswith("boxoffice ")
    assert "--hold-ttl" in run_bin("serve", "--help").stdout
    r = run_bin("migrate", "--data-dir", str(tmp_path / "db"))
    assert r.returncode == 0 and "applied: 6" in r.stdout
    assert "applied: 0" in run_bin("migrate", "--data-dir", str(tmp_path / "db")).stdout


def test_every_route_is_in_the_openapi_document():
    source = os.environ.get("BOXOFFICE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
    doc = open(os.path.join(source, "docs/openapi.yaml")).read()
    routes = run_bin("routes").stdout.strip().splitlines()
    assert len(routes) > 20
    for line in routes:
        method, path = line.split(" ", 1)
        block = doc.split(f"\n  {path}:\n", 1)
        assert len(block) == 2, f"{path} is missing from docs/openapi.yaml"
        section = block[1].split("\n  /", 1)[0]
        assert f"\n    {method.lower()}:" in "\n" + section, f"{method} {path} is missing from docs/openapi.yaml"


def test_restart_keeps_data():
    s = Server().start()
    try:
        admin = login_admin(s.url)
        show = make_show(admin)
        u = register(s.url)
        hold = u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A1"]}).json()
        b = u.post("/api/v1/bookings", {"hold_id": hold["hold_id"]}).json()
        assert s.stop() == 0
        s.start()
        assert u.get(f"/api/v1/bookings/{b['id']}").json() == b  # the session survives too
        seats = {x["id"]: x["status"] for x in requests.get(f"{s.url}/api/v1/shows/{show['id']}/seats").json()["seats"]}
        assert seats["A1"] == "booked"
    finally:
        s.cleanup()


def test_kill_9_loses_no_confirmed_booking():
    s = Server().start()
    try:
        admin = login_admin(s.url)
        show = make_show(admin, rows=[{"row": "A", "seats": 60}])
        users = [register(s.url) for _ in range(6)]
        confirmed = []
        lock = threading.Lock()

        def book(u, seats):
            for seat in seats:
                h = u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": [seat]})
                if h.status_code != 201:
                    continue
                try:
                    r = u.post("/api/v1/bookings", {"hold_id": h.json()["hold_id"]})
                except requests.RequestException:
                    return
                if r.status_code == 201:
                    with lock:
                        confirmed.append(r.json())

        threads = [threading.Thread(target=book, args=(u, [f"A{i}" for i in range(1 + 10 * k, 11 + 10 * k)]))
                   for k, u in enumerate(users)]
        for t in threads:
            t.start()
        time.sleep(0.3)
        s.proc.send_signal(signal.SIGKILL)
        for t in threads:
            t.join()
        s.proc.wait()
        s.start()
        assert confirmed, "no booking was confirmed before the kill"
        seats = {x["id"]: x["status"] for x in requests.get(f"{s.url}/api/v1/shows/{show['id']}/seats").json()["seats"]}
        for b in confirmed:
            owner = next(u for u in users if u.user["id"] == b["user_id"])
            assert owner.get(f"/api/v1/bookings/{b['id']}").json()["status"] == "confirmed"
            for seat in b["seats"]:
                assert seats[seat] == "booked"
    finally:
        s.cleanup()


def test_sigterm_finishes_in_flight_and_exits_zero():
    s = Server().start()
    try:
        admin = login_admin(s.url)
        results = []

        def slow_login():
            # Password hashing makes this request take a while.
            r = requests.post(f"{s.url}/api/v1/sessions", json={"email": "admin@boxoffice.test", "password": "admin-password"})
            results.append(r.status_code)

        threads = [threading.Thread(target=slow_login) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.05)
        start = time.time()
        s.proc.send_signal(signal.SIGTERM)
        for t in threads:
            t.join()
        assert s.proc.wait(timeout=10) == 0
        assert time.time() - start < 10
        assert results == [201] * 4
        log = s.read_log()
        assert '"msg":"shutting down"' in log and '"msg":"stopped"' in log, log[-2000:]
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{s.url}/healthz", timeout=2)
        assert admin.token
    finally:
        s.cleanup()


def test_ended_holds_answer_hold_expired_after_a_restart_and_stay_private():
    # The embedded registry forgets every hold at a restart (and any registry forgets ended
    # holds after a while): the caller's own ended hold is still 409 hold-expired, never
    # "no such hold"; anyone else gets 404.
    s = Server().start()
    try:
        admin = login_admin(s.url)
        show = make_show(admin)
        u, other = register(s.url), register(s.url)
        released = u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A1"]}).json()["hold_id"]
        assert u.delete(f"/api/v1/holds/{released}").status_code == 204
        used = u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A2"]}).json()["hold_id"]
        assert u.post("/api/v1/bookings", {"hold_id": used}).status_code == 201
        assert s.stop() == 0
        s.start()
        for hold_id in (released, used):
            assert_problem(u.post("/api/v1/bookings", {"hold_id": hold_id}), 409, "hold-expired")
            assert u.delete(f"/api/v1/holds/{hold_id}").status_code == 204
            assert_problem(other.post("/api/v1/bookings", {"hold_id": hold_id}), 404)
            assert_problem(other.delete(f"/api/v1/holds/{hold_id}"), 404)
        forged = released[: released.rfind(".") + 1] + "0" * 24
        assert_problem(u.post("/api/v1/bookings", {"hold_id": forged}), 404)
    finally:
        s.cleanup()
