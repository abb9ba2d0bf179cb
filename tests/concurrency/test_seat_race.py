"""Many clients race for the same few seats; not one seat may be sold twice."""
import random
import threading
import traceback

import requests

from conftest import login_admin, make_show, register

CLIENTS = 64
ROUNDS = 6


def test_no_seat_is_sold_twice(server):
    admin = login_admin(server.url)
    users = [register(server.url) for _ in range(CLIENTS)]
    for round_no in range(ROUNDS):
        show = make_show(admin, rows=[{"row": "A", "seats": 10}])
        seat_ids = [f"A{i}" for i in range(1, 11)]
        confirmed, errors = [], []
        lock = threading.Lock()
        barrier = threading.Barrier(CLIENTS)

        def client(u, rng):
            # A failed assert in a thread would only print: record it so the test fails.
            try:
                play(u, rng)
            except Exception:  # noqa: BLE001
                with lock:
                    errors.append(traceback.format_exc())

        def play(u, rng):
            barrier.wait()
            for _ in range(3):
                wanted = rng.sample(seat_ids, rng.randint(1, 3))
                h = u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": wanted})
                if h.status_code == 409:
                    assert set(h.json()["seats"]) <= set(wanted)
                    continue
                if h.status_code != 201:
                    with lock:
                        errors.append(h.text)
                    return
                r = u.post("/api/v1/bookings", {"hold_id": h.json()["hold_id"]},
                           headers={"Idempotency-Key": h.json()["hold_id"]})
                if r.status_code == 201:
                    with lock:
                        confirmed.append(r.json())
                elif r.status_code not in (409,):
                    with lock:
                        errors.append(r.text)

        threads = [threading.Thread(target=client, args=(u, random.Random(round_no * 1000 + i)))
                   for i, u in enumerate(users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[:3]
        sold = [seat for b in confirmed for seat in b["seats"]]
        assert len(sold) == len(set(sold)), f"round {round_no}: a seat was sold twice: {sorted(sold)}"
        seat_map = requests.get(f"{server.url}/api/v1/shows/{show['id']}/seats").json()
        booked = {s["id"] for s in seat_map["seats"] if s["status"] == "booked"}
        assert booked == set(sold)
        assert seat_map["available_count"] == 10 - len(booked) - sum(1 for s in seat_map["seats"] if s["status"] == "held")
        # Every confirmed booking is in its owner's list.
        for b in confirmed:
            owner = next(u for u in users if u.user["id"] == b["user_id"])
            assert owner.get(f"/api/v1/bookings/{b['id']}").json()["status"] == "confirmed"
