import time
import uuid

import requests

from conftest import Client, assert_problem, make_show, register

MOVIE = {"title": "Dune", "description": "Sand.", "duration_minutes": 155, "rating": "PG-13", "genres": ["sci-fi"]}


def test_movie_crud(server, admin):
    r = admin.post("/api/v1/movies", MOVIE)
    assert r.status_code == 201
    m = r.json()
    assert set(m) == {"id", "title", "description", "duration_minutes", "rating", "genres"}
    assert m["genres"] == ["sci-fi"]
    assert requests.get(f"{server.url}/api/v1/movies/{m['id']}").json() == m
    r = admin.patch(f"/api/v1/movies/{m['id']}", {"rating": "R"})
    assert r.status_code == 200 and r.json()["rating"] == "R" and r.json()["title"] == "Dune"
    assert admin.delete(f"/api/v1/movies/{m['id']}").status_code == 204
    assert_problem(requests.get(f"{server.url}/api/v1/movies/{m['id']}"), 404)
    assert_problem(admin.delete(f"/api/v1/movies/{m['id']}"), 404)


def test_catalog_writes_need_admin(server):
    anon = Client(server.url)
    assert_problem(anon.post("/api/v1/movies", MOVIE), 401)
    customer = register(server.url)
    assert_problem(customer.post("/api/v1/movies", MOVIE), 403, "forbidden")
    assert_problem(customer.post("/api/v1/theaters", {"name": "x"}), 403)
    assert_problem(customer.post("/api/v1/shows", {}), 403)
    assert_problem(customer.patch("/api/v1/movies/1", {}), 403)
    assert_problem(customer.delete("/api/v1/movies/1"), 403)


def test_movie_validation(server, admin):
    body = assert_problem(admin.post("/api/v1/movies", {"title": "", "duration_minutes": 0, "genres": "x"}), 422)
    fields = {e["field"] for e in body["errors"]}
    assert {"title", "duration_minutes", "rating", "genres"} <= fields
    assert_problem(admin.post("/api/v1/movies", dict(MOVIE, duration_minutes="long")), 422)
    assert_problem(admin.patch("/api/v1/movies/999999", {"rating": "R"}), 404)
    assert_problem(requests.get(f"{server.url}/api/v1/movies/abc"), 404)
    assert_problem(requests.get(f"{server.url}/api/v1/movies/0"), 404)


def test_theater_with_screens(server, admin):
    r = admin.post("/api/v1/theaters", {"name": "Odeon", "city": "Paris", "screens": [
        {"name": "1", "rows": [{"row": "A", "seats": 3, "category": "standard"}, {"row": "B", "seats": 4, "category": "premium"}]},
        {"name": "2", "rows": [{"row": "A", "seats": 2}]}]})
    assert r.status_code == 201, r.text
    t = r.json()
    assert [s["seat_count"] for s in t["screens"]] == [7, 2]
    assert all(s["id"] > 0 for s in t["screens"])
    assert requests.get(f"{server.url}/api/v1/theaters/{t['id']}").json() == t
    body = assert_problem(admin.post("/api/v1/theaters", {"name": "X", "city": "Y", "screens": [
        {"name": "1", "rows": [{"row": "a", "seats": 0}, {"row": "B", "seats": 5, "category": "VIP!"}]}]}), 422)
    fields = {e["field"] for e in body["errors"]}
    assert {"screens[0].rows[0].row", "screens[0].rows[0].seats", "screens[0].rows[1].category"} <= fields
    assert_problem(admin.post("/api/v1/theaters", {"name": "X", "city": "Y", "screens": []}), 422)


def test_show_rules(server, admin):
    show = make_show(admin, duration=100)
    assert set(show) == {"id", "movie_id", "screen_id", "theater_id", "starts_at", "ends_at", "timezone", "prices",
                         "currency", "seat_count"}
    assert show["seat_count"] == 15 and show["currency"] == "USD" and show["timezone"] == "UTC"
    # ends_at follows from the movie's duration
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    assert time.mktime(time.strptime(show["ends_at"], fmt)) - time.mktime(time.strptime(show["starts_at"], fmt)) == 6000
    # Overlap on the same screen: 409
    overlapping = {"movie_id": show["movie_id"], "screen_id": show["screen_id"], "starts_at": show["starts_at"],
                   "prices": show["prices"]}
    assert_problem(admin.post("/api/v1/shows", overlapping), 409, "screen-busy")
    # Right after it ends is fine
    after = dict(overlapping, starts_at=show["ends_at"])
    assert admin.post("/api/v1/shows", after).status_code == 201
    # Every category needs a price
    later = dict(overlapping, starts_at="2030-01-01T10:00:00Z", prices={"standard": 900})
    body = assert_problem(admin.post("/api/v1/shows", later), 422)
    assert any("premium" in e["field"] for e in body["errors"])
    assert_problem(admin.post("/api/v1/shows", dict(later, prices=show["prices"], starts_at="tomorrow")), 422)
    assert_problem(admin.post("/api/v1/shows", dict(later, prices=show["prices"], movie_id=999999)), 422)
    assert_problem(admin.post("/api/v1/shows", dict(later, prices=show["prices"], currency="dollars")), 422)
    assert requests.get(f"{server.url}/api/v1/shows/{show['id']}").json() == show
    assert_problem(requests.get(f"{server.url}/api/v1/shows/99999999"), 404)


def test_show_filters_and_pagination(server, admin):
    show = make_show(admin)
    base = f"{server.url}/api/v1/shows"
    items = requests.get(f"{base}?movie_id={show['movie_id']}").json()["items"]
    assert [s["id"] for s in items] == [show["id"]]
    items = requests.get(f"{base}?theater_id={show['theater_id']}").json()["items"]
    assert [s["id"] for s in items] == [show["id"]]
    day = show["starts_at"][:10]
    assert show["id"] in [s["id"] for s in requests.get(f"{base}?date={day}&limit=200").json()["items"]]
    assert requests.get(f"{base}?movie_id={show['movie_id']}&date=1999-01-01").json()["items"] == []
    # Walk every page with limit=2: shows come in (starts_at, id) order, none repeats or is missed
    for _ in range(3):
        make_show(admin)
    seen, cursor = [], None
    while True:
        url = f"{base}?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = requests.get(url).json()
        assert len(page["items"]) <= 2
        seen += [(s["starts_at"], s["id"]) for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(set(seen)) and len(seen) >= 4
    assert len(seen) == len(requests.get(f"{base}?limit=200").json()["items"])


def test_lists_are_invalidated_by_admin_writes(server, admin):
    before = requests.get(f"{server.url}/api/v1/movies?limit=200").json()["items"]
    r = admin.post("/api/v1/movies", dict(MOVIE, title="Fresh " + uuid.uuid4().hex[:6]))
    after = requests.get(f"{server.url}/api/v1/movies?limit=200").json()["items"]
    assert len(after) == len(before) + 1 and after[-1]["id"] == r.json()["id"]
    admin.patch(f"/api/v1/movies/{r.json()['id']}", {"title": "Renamed"})
    after = requests.get(f"{server.url}/api/v1/movies?limit=200").json()["items"]
    assert after[-1]["title"] == "Renamed"


def test_movie_with_booked_show_cannot_be_deleted(server, admin):
    show = make_show(admin)
    user = register(server.url)
    hold = user.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A1"]}).json()
    assert user.post("/api/v1/bookings", {"hold_id": hold["hold_id"]}).status_code == 201
    assert_problem(admin.delete(f"/api/v1/movies/{show['movie_id']}"), 409, "movie-has-bookings")


def test_ids_of_a_deleted_movie_and_its_shows_are_never_handed_out_again(server, admin):
    # SQLite numbers a new row after the largest id left, so deleting the newest movie used to
    # give its id and its show's id to the next ones: a hold, cached map or link of the old
    # show then applied to the new one.
    show = make_show(admin)
    user = register(server.url)
    hold = user.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A1", "A2"]})
    assert hold.status_code == 201, hold.text
    assert requests.get(f"{server.url}/api/v1/shows/{show['id']}/seats").status_code == 200
    assert admin.delete(f"/api/v1/movies/{show['movie_id']}").status_code == 204
    fresh = make_show(admin, rows=[{"row": "Z", "seats": 3, "category": "premium"}], prices={"premium": 5000})
    assert fresh["movie_id"] > show["movie_id"] and fresh["id"] > show["id"]
    assert_problem(requests.get(f"{server.url}/api/v1/shows/{show['id']}"), 404)
    assert_problem(requests.get(f"{server.url}/api/v1/shows/{show['id']}/seats"), 404)
    r = user.post("/api/v1/bookings", {"hold_id": hold.json()["hold_id"]})
    assert r.status_code in (404, 409), r.text
    seats = requests.get(f"{server.url}/api/v1/shows/{fresh['id']}/seats").json()["seats"]
    assert [(s["id"], s["status"]) for s in seats] == [("Z1", "available"), ("Z2", "available"), ("Z3", "available")]
    assert all(h["show_id"] != fresh["id"] for h in user.get("/api/v1/holds").json()["items"])
