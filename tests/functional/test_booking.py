import time

import pytest
import requests

from conftest import Server, assert_problem, login_admin, make_show, register


@pytest.fixture(scope="module")
def fast():
    """A server whose holds last one second, for expiry tests."""
    s = Server(env={"BOXOFFICE_HOLD_TTL": "1s", "BOXOFFICE_MAX_SEATS_PER_HOLD": "4"}).start()
    yield s
    s.cleanup()


def seat_status(base, show_id):
    return {s["id"]: s["status"] for s in requests.get(f"{base}/api/v1/shows/{show_id}/seats").json()["seats"]}


def test_seat_map_shape_and_etag(server, admin):
    show = make_show(admin)
    r = requests.get(f"{server.url}/api/v1/shows/{show['id']}/seats")
    assert r.status_code == 200
    m = r.json()
    assert m["show_id"] == show["id"] and m["available_count"] == 15 and m["as_of"].endswith("Z")
    a1 = m["seats"][0]
    assert a1 == {"id": "A1", "row": "A", "number": 1, "category": "standard", "price_cents": 1500, "status": "available"}
    assert m["seats"][-1]["category"] == "premium" and m["seats"][-1]["price_cents"] == 1000
    etag = r.headers["ETag"]
    r2 = requests.get(f"{server.url}/api/v1/shows/{show['id']}/seats", headers={"If-None-Match": etag})
    assert r2.status_code == 304 and r2.text == "" and r2.headers["ETag"] == etag
    user = register(server.url)
    user.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A1"]})
    r3 = requests.get(f"{server.url}/api/v1/shows/{show['id']}/seats", headers={"If-None-Match": etag})
    assert r3.status_code == 200 and r3.headers["ETag"] != etag
    assert_problem(requests.get(f"{server.url}/api/v1/shows/987654/seats"), 404)


def test_hold_confirm_and_conflicts(server, admin):
    show = make_show(admin)
    ann, bob = register(server.url), register(server.url)
    r = ann.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A1", "B2"]})
    assert r.status_code == 201
    hold = r.json()
    assert set(hold) == {"hold_id", "show_id", "seats", "expires_at", "total_cents", "currency"}
    assert hold["total_cents"] == 1500 + 1000 and hold["currency"] == "USD" and len(hold["hold_id"]) >= 22
    assert seat_status(server.url, show["id"])["A1"] == "held"

    # All-or-nothing: B1 is free but A1 is held, so nothing is held for bob.
    body = assert_problem(bob.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["B1", "A1"]}), 409, "seat-unavailable")
    assert body["seats"] == ["A1"]
    assert seat_status(server.url, show["id"])["B1"] == "available"

    # Another user's hold: 404 for confirm and release
    assert_problem(bob.post("/api/v1/bookings", {"hold_id": hold["hold_id"]}), 404)
    assert_problem(bob.delete(f"/api/v1/holds/{hold['hold_id']}"), 404)

    r = ann.post("/api/v1/bookings", {"hold_id": hold["hold_id"]})
    assert r.status_code == 201, r.text
    b = r.json()
    assert set(b) == {"id", "user_id", "show_id", "seats", "total_cents", "currency", "status", "created_at"}
    assert b["status"] == "confirmed" and b["seats"] == ["A1", "B2"] and b["total_cents"] == 2500
    assert seat_status(server.url, show["id"])["A1"] == "booked"
    # A used hold cannot book twice
    assert_problem(ann.post("/api/v1/bookings", {"hold_id": hold["hold_id"]}), 409, "hold-expired")
    body = assert_problem(bob.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["B2"]}), 409, "seat-unavailable")
    assert body["seats"] == ["B2"]


def test_hold_validation(server, admin):
    show = make_show(admin)
    u = register(server.url)
    path = f"/api/v1/shows/{show['id']}/holds"
    for seats in ([], ["Z1"], ["A1", "A1"], ["A" + str(i) for i in range(1, 12)]):
        assert_problem(u.post(path, {"seats": seats}), 422, "validation-failed")
    assert_problem(u.post(path, {"seats": "A1"}), 422)
    assert_problem(u.post(path, {}), 422)
    assert_problem(requests.post(server.url + path, json={"seats": ["A1"]}), 401)
    assert_problem(u.post("/api/v1/shows/424242/holds", {"seats": ["A1"]}), 404)
    assert_problem(u.post("/api/v1/bookings", {"hold_id": "nonsense"}), 404)
    assert_problem(u.post("/api/v1/bookings", {}), 422)
    assert_problem(u.delete("/api/v1/holds/nonsense"), 404)


def test_started_show_refuses_holds(server, admin):
    # A show cannot be created in the past, so this one is created just ahead and waited for.
    show = make_show(admin, starts_in=2)
    u = register(server.url)
    time.sleep(2.5)
    assert_problem(u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A1"]}), 409, "show-started")


def test_release_frees_seats(server, admin):
    show = make_show(admin)
    u = register(server.url)
    hold = u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A3"]}).json()
    assert u.delete(f"/api/v1/holds/{hold['hold_id']}").status_code == 204
    assert seat_status(server.url, show["id"])["A3"] == "available"
    assert u.delete(f"/api/v1/holds/{hold['hold_id']}").status_code == 204  # harmless twice
    assert_problem(u.post("/api/v1/bookings", {"hold_id": hold["hold_id"]}), 409, "hold-expired")


def test_expiry_frees_seats_without_any_request(fast):
    admin = login_admin(fast.url)
    show = make_show(admin)
    u = register(fast.url)
    hold = u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A1", "A2"]}).json()
    assert seat_status(fast.url, show["id"])["A1"] == "held"
    time.sleep(1.6)
    # Nothing has touched the show since the hold: only the timer can have freed the seats, and
    # reading the seat map expires nothing by itself (a new hold would, so it comes after).
    assert seat_status(fast.url, show["id"])["A1"] == "available"
    assert seat_status(fast.url, show["id"])["A2"] == "available"
    other = register(fast.url)
    assert other.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A1"]}).status_code == 201
    assert_problem(u.post("/api/v1/bookings", {"hold_id": hold["hold_id"]}), 409, "hold-expired")
    assert_problem(u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A1", "A2", "A3", "A4", "A5"]}), 422)


def test_idempotency_key(server, admin):
    show = make_show(admin)
    u = register(server.url)
    hold = u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A5"]}).json()
    key = {"Idempotency-Key": "order-" + hold["hold_id"]}
    first = u.post("/api/v1/bookings", {"hold_id": hold["hold_id"]}, headers=key)
    again = u.post("/api/v1/bookings", {"hold_id": hold["hold_id"]}, headers=key)
    assert first.status_code == 201 and again.status_code == 201
    assert first.json() == again.json()
    other = u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A6"]}).json()
    assert_problem(u.post("/api/v1/bookings", {"hold_id": other["hold_id"]}, headers=key), 422)
    # The same key from another user is another key.
    v = register(server.url)
    assert_problem(v.post("/api/v1/bookings", {"hold_id": hold["hold_id"]}, headers=key), 404)
    assert_problem(u.post("/api/v1/bookings", {"hold_id": other["hold_id"]}, headers={"Idempotency-Key": "k" * 256}), 422)
    assert len(u.get("/api/v1/bookings").json()["items"]) == 1
    # A retry after a cancellation still gets the first response, byte for byte in content.
    assert u.post(f"/api/v1/bookings/{first.json()['id']}/cancel").json()["status"] == "cancelled"
    late = u.post("/api/v1/bookings", {"hold_id": hold["hold_id"]}, headers=key)
    assert late.status_code == 201 and late.json() == first.json()


def test_bookings_are_private(server, admin):
    show = make_show(admin)
    ann, bob = register(server.url), register(server.url)
    hold = ann.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A7"]}).json()
    b = ann.post("/api/v1/bookings", {"hold_id": hold["hold_id"]}).json()
    assert ann.get(f"/api/v1/bookings/{b['id']}").json() == b
    assert [x["id"] for x in ann.get("/api/v1/bookings").json()["items"]] == [b["id"]]
    assert bob.get("/api/v1/bookings").json() == {"items": [], "next_cursor": None}
    assert_problem(bob.get(f"/api/v1/bookings/{b['id']}"), 404)
    assert_problem(bob.post(f"/api/v1/bookings/{b['id']}/cancel"), 404)
    assert admin.get(f"/api/v1/bookings/{b['id']}").status_code == 200
    assert_problem(requests.get(f"{server.url}/api/v1/bookings"), 401)


def test_cancel_frees_seats_and_is_idempotent(server, admin):
    show = make_show(admin)
    u = register(server.url)
    hold = u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A8", "A9"]}).json()
    b = u.post("/api/v1/bookings", {"hold_id": hold["hold_id"]}).json()
    r = u.post(f"/api/v1/bookings/{b['id']}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert u.post(f"/api/v1/bookings/{b['id']}/cancel").json()["status"] == "cancelled"
    assert seat_status(server.url, show["id"])["A8"] == "available"
    v = register(server.url)
    assert v.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A8"]}).status_code == 201


def test_cancel_after_start_is_409(server, admin):
    show = make_show(admin, starts_in=3)
    u = register(server.url)
    hold = u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A1"]}).json()
    b = u.post("/api/v1/bookings", {"hold_id": hold["hold_id"]}).json()
    time.sleep(3.5)
    assert_problem(u.post(f"/api/v1/bookings/{b['id']}/cancel"), 409, "show-started")
