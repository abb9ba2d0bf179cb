"""Input rules (issue 10 item 19) and theater time zones, over HTTP: passwords in characters,
emails without invisible, bidi or mixed-script characters, cleaned names, blank titles, ISO 4217
currencies, no shows in the past, theater time zones, ?date= in each theater's zone, and show
lists in start order with working cursors."""
import os
import sqlite3
import subprocess
import time
import uuid

import pytest
import requests

from conftest import BIN, Client, Server, assert_problem, embedded_only, login_admin

FMT = "%Y-%m-%dT%H:%M:%SZ"
ROWS = [{"row": "A", "seats": 4, "category": "standard"}]


def fields(body):
    return {e["field"] for e in body["errors"]}


def new_email(local="user"):
    return f"{local}-{uuid.uuid4().hex[:8]}@example.com"


def in_future(seconds):
    return time.strftime(FMT, time.gmtime(time.time() + seconds))


def make_movie(admin, duration=90):
    r = admin.post("/api/v1/movies", {"title": "Film " + uuid.uuid4().hex[:6], "description": "d",
                                      "duration_minutes": duration, "rating": "PG", "genres": ["drama"]})
    assert r.status_code == 201, r.text
    return r.json()


def make_theater(admin, timezone=None, screens=1):
    body = {"name": "T " + uuid.uuid4().hex[:6], "city": "C",
            "screens": [{"name": f"S{i}", "rows": ROWS} for i in range(screens)]}
    if timezone is not None:
        body["timezone"] = timezone
    r = admin.post("/api/v1/theaters", body)
    assert r.status_code == 201, r.text
    return r.json()


def show_body(movie, screen_id, starts_at, **extra):
    return dict({"movie_id": movie["id"], "screen_id": screen_id, "starts_at": starts_at,
                 "prices": {"standard": 1000}}, **extra)


def make_show(admin, movie, screen_id, starts_at):
    r = admin.post("/api/v1/shows", show_body(movie, screen_id, starts_at))
    assert r.status_code == 201, r.text
    return r.json()


def walk(url, limit):
    """Every item of a list, page by page."""
    items, cursor = [], None
    while True:
        sep = "&" if "?" in url else "?"
        page = requests.get(f"{url}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")).json()
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


# ---- passwords ----

def test_passwords_are_counted_in_characters(server):
    c = Client(server.url)
    body = assert_problem(c.post("/api/v1/users", {"email": new_email(), "password": "😀😀", "name": "Ann"}), 422)
    assert fields(body) == {"password"}
    body = assert_problem(c.post("/api/v1/users", {"email": new_email(), "password": "äöüäöüä", "name": "Ann"}), 422)
    assert fields(body) == {"password"}
    # Eight characters are enough, whatever their bytes
    email = new_email()
    assert c.post("/api/v1/users", {"email": email, "password": "😀" * 8, "name": "Ann"}).status_code == 201
    assert c.post("/api/v1/sessions", {"email": email, "password": "😀" * 8}).status_code == 201
    # The byte cap still holds: 200 emoji are 200 characters but 800 bytes
    assert_problem(c.post("/api/v1/users", {"email": new_email(), "password": "😀" * 200, "name": "Ann"}), 422)


def test_admin_password_is_counted_in_characters():
    s = Server(env={"BOXOFFICE_ADMIN_PASSWORD": "😀😀"})
    try:
        with pytest.raises(RuntimeError) as failed:
            s.start()
        assert "BOXOFFICE_ADMIN_PASSWORD" in str(failed.value)
    finally:
        s.cleanup()


# ---- emails ----

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u2061", "\u180e", "\U000e0041"]
BIDI = ["\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
        "\u2069", "\u061c"]


@pytest.mark.parametrize("char", INVISIBLE + BIDI, ids=lambda c: f"U+{ord(c):04X}")
def test_emails_with_invisible_or_bidi_characters_are_refused(server, char):
    c = Client(server.url)
    email = f"an{char}n-{uuid.uuid4().hex[:8]}@example.com"
    body = assert_problem(c.post("/api/v1/users", {"email": email, "password": "password123", "name": "Ann"}), 422)
    assert fields(body) == {"email"}


MIXED = [
    "p\u0430ypal-{}@example.com",      # Cyrillic a among Latin letters
    "ann-{}@ex\u0430mple.com",          # in the domain
    "\u03bfscar-{}@example.com",        # Greek omicron
    "иван-{}@example.com",              # Cyrillic local part, Latin domain
]
SINGLE_SCRIPT = ["иван-{}@пример.рф", "jürgen-{}@beispiel.de", "ann-{}@example.com"]


def test_emails_mixing_scripts_are_refused(server):
    c = Client(server.url)
    for email in MIXED:
        r = c.post("/api/v1/users", {"email": email.format(uuid.uuid4().hex[:8]), "password": "password123", "name": "Ann"})
        body = assert_problem(r, 422)
        assert fields(body) == {"email"}, email
    # One script (digits and punctuation belong to none) is fine
    for email in SINGLE_SCRIPT:
        r = c.post("/api/v1/users", {"email": email.format(uuid.uuid4().int % 10**8), "password": "password123", "name": "Ann"})
        assert r.status_code == 201, r.text


# ---- names ----

def test_user_names_lose_invisible_and_bidi_characters(server):
    c = Client(server.url)
    r = c.post("/api/v1/users", {"email": new_email(), "password": "password123",
                                 "name": " \u202eAnn\u200b Smith\u2066\x07 \t"})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "Ann Smith"
    for nothing in ["\u200b\u2066 ", " \t ", "\u202e\u202c"]:
        body = assert_problem(c.post("/api/v1/users", {"email": new_email(), "password": "password123", "name": nothing}), 422)
        assert fields(body) == {"name"}


def test_theater_screen_and_city_names_are_cleaned(server, admin):
    r = admin.post("/api/v1/theaters", {"name": "\u200bGrand\u00ad Palace ", "city": " Berlin\u200f",
                                        "screens": [{"name": "\u2066Hall 1\u2069", "rows": ROWS}]})
    assert r.status_code == 201, r.text
    t = r.json()
    assert (t["name"], t["city"], t["screens"][0]["name"]) == ("Grand Palace", "Berlin", "Hall 1")
    assert requests.get(f"{server.url}/api/v1/theaters/{t['id']}").json() == t
    body = assert_problem(admin.post("/api/v1/theaters", {"name": "\u200b", "city": " \u202e ",
                                                          "screens": [{"name": "\ufeff", "rows": ROWS}]}), 422)
    assert {"name", "city", "screens[0].name"} <= fields(body)


# ---- movie titles ----

def test_blank_movie_titles_are_refused(server, admin):
    base = {"description": "d", "duration_minutes": 90, "rating": "PG", "genres": []}
    for blank in ["", "   ", "\t", "\u00a0\u200b"]:
        body = assert_problem(admin.post("/api/v1/movies", dict(base, title=blank)), 422)
        assert "title" in fields(body)
    movie = make_movie(admin)
    for blank in [" ", "\u3000", ""]:
        body = assert_problem(admin.patch(f"/api/v1/movies/{movie['id']}", {"title": blank}), 422)
        assert "title" in fields(body)
    assert requests.get(f"{server.url}/api/v1/movies/{movie['id']}").json()["title"] == movie["title"]


def test_a_movie_patch_cannot_null_a_field(server, admin):
    # null is not "leave it unchanged" (that is leaving the field out): every movie has each.
    movie = make_movie(admin)
    for name in ("title", "description", "duration_minutes", "rating", "genres"):
        body = assert_problem(admin.patch(f"/api/v1/movies/{movie['id']}", {name: None}), 422)
        assert name in fields(body)
    assert requests.get(f"{server.url}/api/v1/movies/{movie['id']}").json() == movie


# ---- currencies and start times ----

def test_currency_must_be_an_iso_4217_code(server, admin):
    movie = make_movie(admin, duration=60)
    screen = make_theater(admin)["screens"][0]["id"]
    for i, bad in enumerate(["XYZ", "ABC", "HRK", "usd"]):
        body = assert_problem(admin.post("/api/v1/shows", show_body(movie, screen, in_future(86400 * 30 + i * 7200),
                                                                    currency=bad)), 422)
        assert fields(body) == {"currency"}
    for i, good in enumerate(["USD", "EUR", "JPY", "CHF"]):
        r = admin.post("/api/v1/shows", show_body(movie, screen, in_future(86400 * 30 + i * 7200), currency=good))
        assert r.status_code == 201, r.text
        assert r.json()["currency"] == good


def test_a_new_show_cannot_start_in_the_past(server, admin):
    movie = make_movie(admin)
    screen = make_theater(admin)["screens"][0]["id"]
    for starts in [in_future(-60), in_future(-86400 * 365), "2001-01-01T00:00:00Z", in_future(0)]:
        body = assert_problem(admin.post("/api/v1/shows", show_body(movie, screen, starts)), 422)
        assert fields(body) == {"starts_at"}
    assert admin.post("/api/v1/shows", show_body(movie, screen, in_future(600))).status_code == 201


def test_a_new_show_starts_within_ten_years(server, admin):
    # A year-9999 start gave an ends_at in year 10000, which RFC 3339 cannot write.
    movie = make_movie(admin)
    screen = make_theater(admin)["screens"][0]["id"]
    for starts in ["9999-12-31T23:59:59Z", in_future(86400 * 366 * 11)]:
        body = assert_problem(admin.post("/api/v1/shows", show_body(movie, screen, starts)), 422)
        assert fields(body) == {"starts_at"}
    assert admin.post("/api/v1/shows", show_body(movie, screen, in_future(86400 * 365 * 9))).status_code == 201


# ---- time zones ----

def test_theaters_have_a_time_zone(server, admin):
    berlin = make_theater(admin, "Europe/Berlin")
    assert berlin["timezone"] == "Europe/Berlin"
    assert requests.get(f"{server.url}/api/v1/theaters/{berlin['id']}").json()["timezone"] == "Europe/Berlin"
    assert make_theater(admin)["timezone"] == "UTC"
    listed = {t["id"]: t for t in walk(f"{server.url}/api/v1/theaters", 200)}
    assert listed[berlin["id"]]["timezone"] == "Europe/Berlin"
    for bad in ["Mars/Olympus_Mons", "Europe", "europe/berlin", "../../../etc/passwd", "/usr/share/zoneinfo/UTC",
                "Europe/../UTC", "right/UTC", "localtime", "", "Europe/Berlin\u200b"]:
        body = assert_problem(admin.post("/api/v1/theaters", {"name": "X", "city": "Y", "timezone": bad,
                                                              "screens": [{"name": "1", "rows": ROWS}]}), 422)
        assert fields(body) == {"timezone"}, bad


def test_every_show_view_carries_its_theaters_time_zone(server, admin):
    movie = make_movie(admin)
    theater = make_theater(admin, "America/New_York")
    show = make_show(admin, movie, theater["screens"][0]["id"], in_future(86400 * 9))
    assert show["timezone"] == "America/New_York"
    assert requests.get(f"{server.url}/api/v1/shows/{show['id']}").json() == show
    items = requests.get(f"{server.url}/api/v1/shows?movie_id={movie['id']}").json()["items"]
    assert items == [show]


def test_date_means_that_day_in_each_theaters_zone(server, admin):
    movie = make_movie(admin, duration=60)
    berlin = make_theater(admin, "Europe/Berlin")["screens"][0]["id"]
    new_york = make_theater(admin, "America/New_York")["screens"][0]["id"]
    kolkata = make_theater(admin, "Asia/Kolkata")["screens"][0]["id"]
    shows = {
        # 01:30 on 15 June in Berlin (UTC+2), still 14 June in UTC
        "berlin": make_show(admin, movie, berlin, "2030-06-14T23:30:00Z"),
        # 22:30 on 14 June in New York (UTC-4), already 15 June in UTC
        "new_york": make_show(admin, movie, new_york, "2030-06-15T02:30:00Z"),
        # 00:15 on 15 June in Kolkata (UTC+5:30)
        "kolkata": make_show(admin, movie, kolkata, "2030-06-14T18:45:00Z"),
    }
    base = f"{server.url}/api/v1/shows?movie_id={movie['id']}"

    def on(date):
        return {s["id"] for s in requests.get(f"{base}&date={date}").json()["items"]}

    assert on("2030-06-15") == {shows["berlin"]["id"], shows["kolkata"]["id"]}
    assert on("2030-06-14") == {shows["new_york"]["id"]}
    assert on("2030-06-16") == set()


def test_date_on_a_daylight_saving_day(server, admin):
    # 2030-03-31 is 23 hours long in Berlin: it runs from 23:00 UTC the day before to 22:00 UTC.
    movie = make_movie(admin, duration=30)
    screen = make_theater(admin, "Europe/Berlin")["screens"][0]["id"]
    first = make_show(admin, movie, screen, "2030-03-30T23:00:00Z")  # 00:00 local, +1
    last = make_show(admin, movie, screen, "2030-03-31T21:30:00Z")   # 23:30 local, +2
    before = make_show(admin, movie, screen, "2030-03-30T22:00:00Z")  # 23:00 on the 30th
    after = make_show(admin, movie, screen, "2030-03-31T22:00:00Z")   # 00:00 on 1 April
    base = f"{server.url}/api/v1/shows?movie_id={movie['id']}"
    assert [s["id"] for s in requests.get(f"{base}&date=2030-03-31").json()["items"]] == [first["id"], last["id"]]
    assert [s["id"] for s in requests.get(f"{base}&date=2030-03-30").json()["items"]] == [before["id"]]
    assert [s["id"] for s in requests.get(f"{base}&date=2030-04-01").json()["items"]] == [after["id"]]


def test_show_lists_are_ordered_by_start_then_id_across_pages(server, admin):
    movie = make_movie(admin, duration=60)
    theater = make_theater(admin, "Europe/Berlin", screens=2)
    one, two = (s["id"] for s in theater["screens"])
    # Created out of start order; two start at the same time on different screens.
    created = [make_show(admin, movie, one, "2031-05-03T18:00:00Z"),
               make_show(admin, movie, one, "2031-05-01T18:00:00Z"),
               make_show(admin, movie, two, "2031-05-02T18:00:00Z"),
               make_show(admin, movie, one, "2031-05-02T18:00:00Z"),
               make_show(admin, movie, two, "2031-05-01T09:00:00Z")]
    expected = [s["id"] for s in sorted(created, key=lambda s: (s["starts_at"], s["id"]))]
    for limit in (1, 2, 3, 200):
        assert [s["id"] for s in walk(f"{server.url}/api/v1/shows?movie_id={movie['id']}", limit)] == expected
        assert [s["id"] for s in walk(f"{server.url}/api/v1/shows?theater_id={theater['id']}", limit)] == expected
    on_the_second = [s["id"] for s in created if s["starts_at"].startswith("2031-05-02")]
    assert [s["id"] for s in walk(f"{server.url}/api/v1/shows?movie_id={movie['id']}&date=2031-05-02", 1)] == \
        sorted(on_the_second)
    # The unfiltered list is in the same order too.
    everything = [(s["starts_at"], s["id"]) for s in walk(f"{server.url}/api/v1/shows", 2)]
    assert everything == sorted(everything)
    assert_problem(requests.get(f"{server.url}/api/v1/shows?cursor=bm90LWEtY3Vyc29y"), 400)


@embedded_only  # rewrites the SQLite file to an older schema, then starts a server on it
def test_migration_gives_existing_shows_their_zone_and_local_day(tmp_path):
    """A database at version 3 (theaters had a time zone column, shows had none) is brought to
    the current version: each existing show gets its theater's zone and its local day, computed from tzdata."""
    data = tmp_path / "db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    assert subprocess.run([BIN, "migrate", "--data-dir", str(data)], env=env, capture_output=True, timeout=30).returncode == 0
    db = sqlite3.connect(data / "boxoffice.db")
    # Back to version 3, then the rows an older server could have written.
    db.executescript("""
        DROP TABLE id_counters; DROP TABLE secrets; DROP INDEX idempotency_keys_created;
        DROP INDEX shows_movie_start; DROP INDEX shows_theater_start; DROP INDEX shows_day_start;
        ALTER TABLE shows DROP COLUMN local_day; ALTER TABLE shows DROP COLUMN timezone;
        CREATE INDEX shows_movie ON shows(movie_id); CREATE INDEX shows_theater ON shows(theater_id);
        DELETE FROM schema_migrations WHERE version >= 4;
        INSERT INTO movies (id, title, description, duration_minutes, rating, genres) VALUES (1, 'Old', '', 90, 'PG', '[]');
        INSERT INTO theaters (id, name, city, timezone) VALUES (1, 'Old Berlin', 'Berlin', 'Europe/Berlin'), (2, 'Old UTC', 'X', 'UTC');
        INSERT INTO screens (id, theater_id, name, rows_json, seat_count)
            VALUES (1, 1, 'S', '[{"row":"A","seats":2,"category":"standard"}]', 2),
                   (2, 2, 'S', '[{"row":"A","seats":2,"category":"standard"}]', 2);
        INSERT INTO shows (id, movie_id, screen_id, theater_id, starts_at, ends_at, prices_json, currency, seat_count)
            VALUES (1, 1, 1, 1, 1907710200, 1907715600, '{"standard":100}', 'EUR', 2),
                   (2, 1, 2, 2, 1907710200, 1907715600, '{"standard":100}', 'USD', 2);
    """)
    db.commit()
    db.close()
    s = Server(data_dir=str(data)).start()
    try:
        # 1907710200 is 2030-06-14T23:30:00Z: 15 June in Berlin, 14 June in UTC.
        base = f"{s.url}/api/v1/shows?movie_id=1"
        assert requests.get(f"{s.url}/api/v1/shows/1").json()["timezone"] == "Europe/Berlin"
        assert requests.get(f"{s.url}/api/v1/shows/2").json()["timezone"] == "UTC"
        assert [x["id"] for x in requests.get(f"{base}&date=2030-06-15").json()["items"]] == [1]
        assert [x["id"] for x in requests.get(f"{base}&date=2030-06-14").json()["items"]] == [2]
        # Migration 6 counts ids on from the rows already there.
        movie = login_admin(s.url).post("/api/v1/movies", {"title": "New", "description": "d", "duration_minutes": 90,
                                                           "rating": "PG", "genres": ["drama"]})
        assert movie.status_code == 201 and movie.json()["id"] == 2, movie.text
    finally:
        s.cleanup()
