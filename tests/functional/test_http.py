import json
import socket

import requests

from conftest import Client, assert_problem


def test_health_and_readiness(server):
    r = requests.get(server.url + "/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = requests.get(server.url + "/readyz")
    assert r.status_code == 200 and r.json()["checks"] and all(v == "ok" for v in r.json()["checks"].values())


def test_unknown_route_is_404_problem(server):
    assert_problem(requests.get(server.url + "/api/v1/nothing"), 404, "not-found")
    assert_problem(requests.get(server.url + "/api/v1/movies/"), 404)


def test_wrong_method_is_405_with_allow(server):
    r = requests.put(server.url + "/api/v1/movies", json={})
    assert_problem(r, 405, "method-not-allowed")
    assert set(x.strip() for x in r.headers["Allow"].split(",")) >= {"GET", "POST"}
    r = requests.delete(server.url + "/api/v1/users/me")
    assert_problem(r, 405)
    assert "GET" in r.headers["Allow"]


def test_malformed_json_is_400(server, admin):
    r = admin.request("POST", "/api/v1/movies", data="{not json", headers={"Content-Type": "application/json"})
    assert_problem(r, 400, "malformed-json")
    r = admin.request("POST", "/api/v1/movies", data="[1,2]", headers={"Content-Type": "application/json"})
    assert_problem(r, 400)


def test_wrong_content_type_is_415(server, admin):
    r = admin.request("POST", "/api/v1/movies", data="title=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_problem(r, 415, "unsupported-media-type")
    r = requests.post(server.url + "/api/v1/users", data='{"a":1}', headers={"Content-Type": "text/plain"})
    assert_problem(r, 415)


def test_body_over_limit_is_413(server):
    big = json.dumps({"email": "a@b.co", "password": "x" * (1024 * 1024 + 10), "name": "n"})
    r = requests.post(server.url + "/api/v1/users", data=big, headers={"Content-Type": "application/json"})
    assert_problem(r, 413, "payload-too-large")


def test_bad_query_is_400(server):
    assert_problem(requests.get(server.url + "/api/v1/movies?limit=abc"), 400, "bad-query")
    assert_problem(requests.get(server.url + "/api/v1/movies?limit=0"), 400)
    assert_problem(requests.get(server.url + "/api/v1/movies?limit=201"), 400)
    assert_problem(requests.get(server.url + "/api/v1/movies?cursor=%%%"), 400)
    assert_problem(requests.get(server.url + "/api/v1/shows?date=tomorrow"), 400)
    assert_problem(requests.get(server.url + "/api/v1/shows?movie_id=-3"), 400)


def test_request_id_is_echoed_or_generated(server):
    r = requests.get(server.url + "/healthz", headers={"X-Request-Id": "abc-123"})
    assert r.headers["X-Request-Id"] == "abc-123"
    r = requests.get(server.url + "/healthz", headers={"X-Request-Id": "bad id with spaces"})
    assert r.headers["X-Request-Id"] != "bad id with spaces" and len(r.headers["X-Request-Id"]) >= 8
    a = requests.get(server.url + "/api/v1/nothing").headers["X-Request-Id"]
    b = requests.get(server.url + "/api/v1/nothing").headers["X-Request-Id"]
    assert a != b


def test_keep_alive_serves_many_requests_on_one_connection(server):
    s = requests.Session()
    for _ in range(20):
        assert s.get(server.url + "/healthz").status_code == 200


def test_garbage_request_line_is_400(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"THIS IS NOT HTTP\r\n\r\n")
        data = sock.recv(4096)
    assert data.startswith(b"HTTP/1.1 400")


def test_access_log_is_json_lines(server):
    requests.get(server.url + "/healthz", headers={"X-Request-Id": "log-check-1"})
    import time
    time.sleep(1.2)
    lines = [json.loads(l) for l in server.read_log().splitlines() if l.startswith("{")]
    hits = [l for l in lines if l.get("request_id") == "log-check-1"]
    assert hits and hits[0]["route"] == "/healthz" and hits[0]["status"] == 200 and "duration_ms" in hits[0]


def test_openapi_document_is_served(server):
    r = requests.get(server.url + "/openapi.yaml")
    assert r.status_code == 200 and "openapi: 3.1" in r.text
