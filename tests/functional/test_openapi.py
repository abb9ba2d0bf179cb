"""docs/openapi.yaml against the server: the document is well formed and names exactly the server's
routes, its links chain real calls, the validator catches what it should, and, last of the whole
session, every response the functional suite received matches the document."""
import collections
import gzip
import json
import os
import re
import shutil
import subprocess
import time

import pytest
import requests

import yaml  # python3-yaml, installed by scripts/install-deps.sh

from conftest import BIN, assert_problem, make_show, register  # noqa: E402
from openapi_validator import (  # noqa: E402
    DEFAULT_DOCUMENT, METHODS, SUPPORTED_KEYWORDS, OpenApiValidator, every_ref, jsonschema, schema_keywords)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOC_PATH = os.path.join(ROOT, "docs", "openapi.yaml")
ENGINES = ["builtin"] + (["jsonschema"] if jsonschema is not None else [])


@pytest.fixture(scope="module")
def doc():
    with open(DOC_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


def operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield method, path, op


# --- the document itself ---------------------------------------------------------------------

def test_document_parses_and_hangs_together(doc):
    assert str(doc["openapi"]).startswith("3.1")
    v = OpenApiValidator(doc)
    for ref in every_ref(doc):
        assert v.mini.resolve(ref) is not None, ref
    ids = collections.Counter(op.get("operationId") for _, _, op in operations(doc))
    assert None not in ids and all(n == 1 for n in ids.values()), ids
    for method, path, op in operations(doc):
        assert op.get("summary"), f"{method} {path} has no summary"
        assert op.get("responses"), f"{method} {path} has no responses"
        declared = {v.resolve(p)["name"] for p in (doc["paths"][path].get("parameters", []) + op.get("parameters", []))
                    if v.resolve(p)["in"] == "path"}
        assert declared == set(re.findall(r"{([^}]+)}", path)), f"{method} {path} path parameters"
        for status, response in op["responses"].items():
            response = v.resolve(response)
            assert response.get("description"), f"{method} {path} {status} has no description"
            for link in (response.get("links") or {}).values():
                assert link["operationId"] in ids, link
    # A flow mapping with an unquoted comma or colon in a description parses into a stray key
    # with a null value: there is no null anywhere in the document.
    def nulls(node, where="$"):
        if node is None:
            yield where
        elif isinstance(node, dict):
            for k, val in node.items():
                yield from nulls(val, f"{where}.{k}")
        elif isinstance(node, list):
            for i, val in enumerate(node):
                if val is not None:  # type: [string, 'null'] is spelled with a string
                    yield from nulls(val, f"{where}[{i}]")
    assert list(nulls(doc)) == []


def test_documented_operations_are_exactly_the_servers_routes(doc):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    out = subprocess.run([BIN, "routes"], env=env, capture_output=True, text=True, timeout=30, check=True).stdout
    routes = {tuple(line.split(" ", 1)) for line in out.strip().splitlines()}
    documented = {(m.upper(), p) for m, p, _ in operations(doc)}
    assert sorted(documented - routes) == [], "documented, but the server has no such route"
    assert sorted(routes - documented) == [], "served, but not documented"


def test_builtin_validator_knows_every_keyword_of_the_document(doc):
    assert sorted(schema_keywords(doc) - SUPPORTED_KEYWORDS) == []


def test_statuses_the_server_sends_everywhere_are_documented(doc):
    v = OpenApiValidator(doc)
    for method, path, op in operations(doc):
        codes = set(op["responses"])
        assert "400" in codes, f"{method} {path}: a malformed query string is 400 everywhere"
        if path.startswith("/api/"):
            assert {"429", "503"} <= codes, f"{method} {path}: rate limited and backed by the store"
            rl = v.resolve(op["responses"]["429"])
            assert {"Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining"} <= set(rl["headers"])
            assert "Retry-After" in v.resolve(op["responses"]["503"])["headers"]
        if op.get("security"):
            assert "401" in codes, f"{method} {path} needs a token"
            assert "WWW-Authenticate" in v.resolve(op["responses"]["401"])["headers"]
        if "requestBody" in op:
            assert {"413", "415", "400"} <= codes, f"{method} {path} takes a JSON body"
        for status, response in op["responses"].items():
            for media in (v.resolve(response).get("content") or {}):
                if status.startswith(("4", "5")):
                    assert media == "application/problem+json", f"{method} {path} {status}"


# --- the validator can fail ------------------------------------------------------------------

GOOD_MOVIE = {"id": 1, "title": "Dune", "description": "", "duration_minutes": 155, "rating": "PG-13", "genres": []}
JSON = {"Content-Type": "application/json", "X-Request-Id": "r1"}
PROBLEM = {"Content-Type": "application/problem+json", "X-Request-Id": "r1"}


def problem(status, slug, **extra):
    return json.dumps(dict({"type": "https://boxoffice.dev/problems/" + slug, "title": "t", "status": status,
                            "detail": "d"}, **extra))


@pytest.mark.parametrize("engine", ENGINES)
def test_validator_accepts_documented_responses(engine):
    v = OpenApiValidator(DEFAULT_DOCUMENT, engine=engine)
    assert v.check("GET", "/api/v1/movies/1", 200, JSON, json.dumps(GOOD_MOVIE)) == []
    assert v.check("GET", "/api/v1/movies/{id}", 200, JSON, json.dumps(GOOD_MOVIE)) == []
    assert v.check("GET", "/api/v1/movies?limit=2", 200, JSON, json.dumps({"items": [GOOD_MOVIE], "next_cursor": None})) == []
    assert v.check("GET", "/api/v1/users/me", 401, dict(PROBLEM, **{"WWW-Authenticate": "Bearer"}),
                   problem(401, "unauthorized")) == []
    assert v.check("POST", "/api/v1/shows/3/holds", 409, PROBLEM, problem(409, "seat-unavailable", seats=["A1"])) == []
    assert v.check("DELETE", "/api/v1/holds/h3.abcdefghijklmnopqrstuv", 204, {"X-Request-Id": "r1"}, b"") == []
    assert v.check("GET", "/api/v1/nothing", 404, PROBLEM, problem(404, "not-found")) == []
    assert v.check("PUT", "/api/v1/movies", 405, dict(PROBLEM, Allow="GET, HEAD, POST"),
                   problem(405, "method-not-allowed")) == []
    assert v.check("GET", "/api/v1/movies", 429, dict(PROBLEM, **{"Retry-After": "3", "X-RateLimit-Limit": "30",
                                                                   "X-RateLimit-Remaining": "0"}),
                   problem(429, "rate-limited")) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_validator_reports_mismatches(engine):
    v = OpenApiValidator(DEFAULT_DOCUMENT, engine=engine)

    def fails(expected, *args):
        errors = v.check(*args)
        assert errors and any(expected in e for e in errors), errors

    fails("status 418 is not documented", "GET", "/api/v1/movies/1", 418, JSON, json.dumps(GOOD_MOVIE))
    fails("duration_minutes", "GET", "/api/v1/movies/1", 200, JSON, json.dumps(dict(GOOD_MOVIE, duration_minutes="long")))
    fails("genres", "GET", "/api/v1/movies/1", 200, JSON, json.dumps({k: GOOD_MOVIE[k] for k in GOOD_MOVIE if k != "genres"}))
    fails("popularity", "GET", "/api/v1/movies/1", 200, JSON, json.dumps(dict(GOOD_MOVIE, popularity=3)))
    fails("Content-Type", "GET", "/api/v1/movies/1", 200, dict(JSON, **{"Content-Type": "text/html"}), "<p>")
    fails("not JSON", "GET", "/api/v1/movies/1", 200, JSON, "{nope")
    fails("WWW-Authenticate", "GET", "/api/v1/users/me", 401, PROBLEM, problem(401, "unauthorized"))
    fails("seats", "POST", "/api/v1/shows/3/holds", 409, PROBLEM, problem(409, "seat-unavailable"))
    fails("email-taken", "POST", "/api/v1/shows/3/holds", 409, PROBLEM, problem(409, "email-taken"))
    fails("errors", "POST", "/api/v1/users", 422, PROBLEM, problem(422, "validation-failed"))
    fails("not the HTTP status", "POST", "/api/v1/users", 409, PROBLEM, problem(400, "email-taken"))
    fails("no body here", "DELETE", "/api/v1/holds/h3.abcdefghijklmnopqrstuv", 204, {"X-Request-Id": "r"}, b"{}")
    fails("X-Request-Id", "DELETE", "/api/v1/holds/h3.abcdefghijklmnopqrstuv", 204, {}, b"")
    fails("Allow", "PUT", "/api/v1/movies", 405, dict(PROBLEM, Allow="GET"), problem(405, "method-not-allowed"))
    fails("PUT is not documented", "PUT", "/api/v1/movies", 200, JSON, "{}")
    fails("not in the document", "GET", "/api/v1/nothing", 200, JSON, "{}")
    fails("Retry-After", "GET", "/api/v1/movies", 429, PROBLEM, problem(429, "rate-limited"))
    fails("Vary", "GET", "/api/v1/movies", 200, dict(JSON, **{"Content-Encoding": "gzip"}),
          json.dumps({"items": [], "next_cursor": None}))
    fails("expires_at", "POST", "/api/v1/shows/3/holds", 201, JSON, json.dumps(
        {"hold_id": "h3.abcdefghijklmnopqrstuv", "show_id": 3, "seats": ["A1"], "expires_at": "tomorrow",
         "total_cents": 100, "currency": "USD"}))
    fails("hold_id", "POST", "/api/v1/shows/3/holds", 201, JSON, json.dumps(
        {"hold_id": "opaque", "show_id": 3, "seats": ["A1"], "expires_at": "2026-01-01T00:00:00.000Z",
         "total_cents": 100, "currency": "USD"}))


def test_validator_understands_openapi_30_nullable():
    doc = {"openapi": "3.0.3", "paths": {"/x": {"get": {"responses": {"200": {"description": "x", "content": {
        "application/json": {"schema": {"type": "object", "properties": {"a": {"type": "string", "nullable": True}}}}}}}}}}}
    for engine in ENGINES:
        v = OpenApiValidator(doc, engine=engine)
        assert v.check("GET", "/x", 200, JSON, '{"a": null}') == []
        assert v.check("GET", "/x", 200, JSON, '{"a": 5}') != []


# --- links: what a stateful API tester follows -----------------------------------------------

def evaluate(expression, response_body):
    """An OpenAPI runtime expression of the form $response.body#/pointer (or a literal)."""
    if isinstance(expression, dict):
        return {k: evaluate(v, response_body) for k, v in expression.items()}
    if not isinstance(expression, str) or not expression.startswith("$response.body#"):
        return expression
    node = response_body
    for part in expression.split("#", 1)[1].split("/")[1:]:
        node = node[int(part)] if isinstance(node, list) else node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_links_chain_show_hold_booking(server, admin, doc):
    by_id = {op["operationId"]: (method, path, op) for method, path, op in operations(doc)}
    user = register(server.url)

    def follow(source_op, status, link_name, body_of_source, json_body=None):
        link = by_id[source_op][2]["responses"][status]["links"][link_name]
        method, path, _ = by_id[link["operationId"]]
        for name, expr in (link.get("parameters") or {}).items():
            path = path.replace("{" + name + "}", str(evaluate(expr, body_of_source)))
        if "requestBody" in link:
            json_body = evaluate(link["requestBody"], body_of_source)
        return user.request(method.upper(), path, json=json_body)

    show = make_show(admin)  # the body of createShow's 201
    hold = follow("createShow", "201", "CreateHold", show, {"seats": ["A1", "A2"]})
    assert hold.status_code == 201, hold.text
    booking = follow("createHold", "201", "ConfirmHold", hold.json())
    assert booking.status_code == 201, booking.text
    got = follow("createBooking", "201", "GetBooking", booking.json())
    assert got.status_code == 200 and got.json() == booking.json()
    assert follow("createShow", "201", "GetSeatMap", show).json()["show_id"] == show["id"]
    assert follow("createBooking", "201", "CancelBooking", booking.json()).json()["status"] == "cancelled"
    again = user.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A3"]})
    assert follow("createHold", "201", "ReleaseHold", again.json()).status_code == 204


# --- documented behaviours that a response-by-response check cannot see ----------------------

def test_holds_of_the_caller_are_listed(server, admin):
    show = make_show(admin)
    ann, bob = register(server.url), register(server.url)
    h1 = ann.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["A1"]}).json()
    h2 = ann.post(f"/api/v1/shows/{show['id']}/holds", {"seats": ["B1", "B2"]}).json()
    r = ann.get("/api/v1/holds")
    assert r.status_code == 200, r.text
    assert {h["hold_id"] for h in r.json()["items"]} == {h1["hold_id"], h2["hold_id"]}
    assert bob.get("/api/v1/holds").json() == {"items": []}
    assert_problem(requests.get(server.url + "/api/v1/holds"), 401)


def test_hold_limit_per_user_and_show(server, admin):
    show = make_show(admin, rows=[{"row": "A", "seats": 20}])
    u = register(server.url)
    assert u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": [f"A{i}" for i in range(1, 7)]}).status_code == 201
    assert_problem(u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": [f"A{i}" for i in range(7, 12)]}), 409, "hold-limit")
    assert u.post(f"/api/v1/shows/{show['id']}/holds", {"seats": [f"A{i}" for i in range(7, 11)]}).status_code == 201


def test_time_zones_of_theaters_and_shows(server, admin):
    rows = [{"row": "A", "seats": 2}]
    r = admin.post("/api/v1/theaters", {"name": "Kino", "city": "Berlin", "timezone": "Europe/Berlin",
                                        "screens": [{"name": "1", "rows": rows}]})
    assert r.status_code == 201, r.text
    theater = r.json()
    assert theater["timezone"] == "Europe/Berlin"
    plain = admin.post("/api/v1/theaters", {"name": "X", "city": "Y", "screens": [{"name": "1", "rows": rows}]}).json()
    assert plain["timezone"] == "UTC"
    body = assert_problem(admin.post("/api/v1/theaters", {"name": "X", "city": "Y", "timezone": "Mars/Olympus",
                                                          "screens": [{"name": "1", "rows": rows}]}), 422)
    assert any(e["field"] == "timezone" for e in body["errors"])
    movie = admin.post("/api/v1/movies", {"title": "Late", "duration_minutes": 60, "rating": "PG"}).json()
    # 23:30 UTC on 1 June is 01:30 on 2 June in Berlin: listed under the Berlin date.
    year = time.gmtime().tm_year + 1
    show = admin.post("/api/v1/shows", {"movie_id": movie["id"], "screen_id": theater["screens"][0]["id"],
                                        "starts_at": f"{year}-06-01T23:30:00Z", "prices": {"standard": 500}})
    assert show.status_code == 201, show.text
    assert show.json()["timezone"] == "Europe/Berlin"
    listed = lambda day: [s["id"] for s in requests.get(  # noqa: E731
        f"{server.url}/api/v1/shows?theater_id={theater['id']}&date={day}").json()["items"]]
    assert listed(f"{year}-06-02") == [show.json()["id"]]
    assert listed(f"{year}-06-01") == []


def test_blank_movie_title_is_422(server, admin):
    body = assert_problem(admin.post("/api/v1/movies", {"title": "   ", "duration_minutes": 90, "rating": "PG"}), 422)
    assert [e["field"] for e in body["errors"]] == ["title"]


def test_password_length_counts_characters(server):
    # Four characters in eight bytes: too short.
    body = assert_problem(requests.post(server.url + "/api/v1/users", json={
        "email": f"pw-{time.time_ns()}@example.com", "password": "\u00e9" * 4, "name": "n"}), 422)
    assert [e["field"] for e in body["errors"]] == ["password"]


def later(days):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 86400 * days))


def test_show_currency_must_be_iso_4217(server, admin):
    show = make_show(admin)
    base = {"movie_id": show["movie_id"], "screen_id": show["screen_id"], "prices": show["prices"]}
    body = assert_problem(admin.post("/api/v1/shows", dict(base, starts_at=later(30), currency="ABC")), 422)
    assert any(e["field"] == "currency" for e in body["errors"])
    r = admin.post("/api/v1/shows", dict(base, starts_at=later(30), currency="EUR"))
    assert r.status_code == 201 and r.json()["currency"] == "EUR"


def test_new_show_in_the_past_is_422(server, admin):
    show = make_show(admin)
    base = {"movie_id": show["movie_id"], "screen_id": show["screen_id"], "prices": show["prices"]}
    body = assert_problem(admin.post("/api/v1/shows", dict(base, starts_at=later(-30))), 422)
    assert any(e["field"] == "starts_at" for e in body["errors"])


def test_show_lists_are_ordered_by_starts_at(server, admin):
    show = make_show(admin)  # in three days
    base = {"movie_id": show["movie_id"], "screen_id": show["screen_id"], "prices": show["prices"]}
    assert admin.post("/api/v1/shows", dict(base, starts_at=later(30))).status_code == 201
    assert admin.post("/api/v1/shows", dict(base, starts_at=later(10))).status_code == 201
    items = requests.get(f"{server.url}/api/v1/shows?movie_id={show['movie_id']}").json()["items"]
    assert len(items) == 3 and [s["starts_at"] for s in items] == sorted(s["starts_at"] for s in items), items
    # Paging keeps that order.
    first = requests.get(f"{server.url}/api/v1/shows?movie_id={show['movie_id']}&limit=2").json()
    rest = requests.get(f"{server.url}/api/v1/shows?movie_id={show['movie_id']}&cursor={first['next_cursor']}").json()
    assert [s["id"] for s in first["items"] + rest["items"]] == [s["id"] for s in items]


def test_large_json_is_gzipped_and_the_seat_map_etag_is_honoured(server, admin):
    show = make_show(admin, rows=[{"row": r, "seats": 20} for r in "ABCDEFGHIJ"])
    url = f"{server.url}/api/v1/shows/{show['id']}/seats"
    r = requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True)
    raw = r.raw.read(decode_content=False)
    assert r.status_code == 200 and r.headers.get("Content-Encoding") == "gzip", r.headers
    assert "accept-encoding" in r.headers.get("Vary", "").lower()
    assert json.loads(gzip.decompress(raw))["show_id"] == show["id"]
    plain = requests.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and plain.json()["show_id"] == show["id"]
    etag = plain.headers["ETag"]
    assert etag.startswith('"')
    for inm in (etag, "W/" + etag, '"nope", ' + etag, "*"):
        nm = requests.get(url, headers={"If-None-Match": inm})
        assert nm.status_code == 304 and nm.content == b"", inm
    assert requests.get(url, headers={"If-None-Match": '"nope"'}).status_code == 200


def test_every_documented_operation_answers(server, admin):
    """Touches the operations the rest of the suite may not, so their answers are checked too."""
    user = register(server.url)
    for path in ("/", "/openapi.yaml", "/static/app.js", "/static/style.css", "/static/nothing.js", "/metrics",
                 "/readyz", "/api/v1/theaters?limit=1", "/api/v1/holds", "/api/v1/users/me", "/api/v1/bookings",
                 "/api/v1/shows?limit=1", "/api/v1/movies?limit=1", "/api/v1/shows/1/live", "/api/v1/theaters/999999"):
        r = user.get(path)
        assert r.status_code < 500, (path, r.status_code, r.text[:200])
    page = requests.get(server.url + "/")
    assert requests.get(server.url + "/", headers={"If-None-Match": page.headers["ETag"]}).status_code == 304
    assert user.request("POST", "/api/v1/bookings/1/cancel", data="x", headers={"Content-Type": "text/plain"}).status_code == 415
    assert user.request("GET", "/api/v1/movies?limit=%zz").status_code == 400
    show = make_show(admin)
    upgrade = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": "a2tra2tra2tra2tra2tra2s="}
    live = f"{server.url}/api/v1/shows/{show['id']}/live"
    assert requests.get(live, headers=dict(upgrade, **{"Sec-WebSocket-Version": "8"})).status_code == 426
    assert requests.get(live, headers=dict(upgrade, **{"Sec-WebSocket-Version": "13",
                                                       "Sec-WebSocket-Key": "short"})).status_code == 400


# --- the lint ----------------------------------------------------------------------------------

def _node_is_new_enough():
    if not shutil.which("node") or not shutil.which("npm"):
        return False
    out = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip().lstrip("v")
    major, minor = (int(x) for x in out.split(".")[:2])
    return (major == 20 and minor >= 19) or (major == 22 and minor >= 12) or major > 22


def test_redocly_lint_is_clean():
    # scripts/install-deps.sh installs Node.js and the pinned Redocly CLI: a missing one fails.
    assert _node_is_new_enough(), "Redocly CLI needs Node.js 20.19+ or 22.12+"
    r = subprocess.run(["bash", os.path.join(ROOT, "scripts", "lint-openapi.sh")], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]


# --- last: everything the suite received --------------------------------------------------------

def test_every_recorded_response_matches_the_document(recorded_responses):
    if not recorded_responses:
        pytest.skip("no responses were recorded (run the whole functional suite)")
    v = OpenApiValidator(DOC_PATH)
    mismatches = collections.OrderedDict()
    for rec in list(recorded_responses):
        for problem_text in v.check(rec["method"], rec["path"], rec["status"], rec["headers"], rec["body"]):
            # One entry per kind: $.items[3] and $.items[0] are the same mismatch.
            mismatches.setdefault(re.sub(r"\[\d+\]", "[*]", problem_text), []).append(rec)
    if mismatches:
        lines = [f"{len(mismatches)} kinds of mismatch in {len(recorded_responses)} recorded responses:"]
        for text, recs in mismatches.items():
            first = recs[0]
            body = first["body"][:300].decode("utf-8", "replace") if isinstance(first["body"], bytes) else ""
            lines.append(f"- {text}\n    {len(recs)}x, first in {first['test']}: {first['method']} {first['path']} "
                         f"-> {first['status']} {body}")
        pytest.fail("\n".join(lines), pytrace=False)


test_every_recorded_response_matches_the_document.run_last = True
